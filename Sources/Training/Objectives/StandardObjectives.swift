import Models
import Neural

extension Objective {
    /// The objective of a model configuration.
    public static func of(_ model: ModelConfig, categoricalWeight: Float = 1, continuousWeight: Float = 0.1) -> Objective {
        let c = model.conditioning
        switch model.architecture {
        case .dcgan, .mlp, .kerasCeleba: return .nonSaturating
        case .acgan: return .auxiliaryClassifier(classes: c.classes)
        case .infogan: return .information(c, categoricalWeight: categoricalWeight, continuousWeight: continuousWeight)
        }
    }

    /// The non-saturating GAN of Goodfellow et al. as pytorch/examples `dcgan/main.py` trains it:
    /// D maximises `log D(x) + log(1 − D(G(z)))` (BCE toward 1 on real, 0 on fake), G maximises
    /// `log D(G(z))` (BCE toward 1 on fake). Metrics: `loss_d`, `loss_g`, and the mean `D(x)`,
    /// `D(G(z))` before (`d_g_z1`) and after (`d_g_z2`) the D update.
    public static let nonSaturating = Objective(name: "ns-gan", terms: adversarialTerms, display: adversarialDisplay)

    static let adversarialTerms: [Term] = [
        Term(.real, head: 0, .bceWithLogits(column: 0), target: .constant(1), loss: "loss_d", auxiliary: "d_x"),
        Term(.fake, head: 0, .bceWithLogits(column: 0), target: .constant(0), loss: "loss_d", auxiliary: "d_g_z1"),
        Term(.generator, head: 0, .bceWithLogits(column: 0), target: .constant(1), loss: "loss_g", auxiliary: "d_g_z2"),
    ]

    static let adversarialDisplay: [Display] = [
        Display("loss_D", ["loss_d"]), Display("loss_G", ["loss_g"]), Display("D(x)", ["d_x"]), Display("D(G(z))", ["d_g_z1", "d_g_z2"]),
    ]

    /// AC-GAN (Odena et al. 2017): D maximises `L_S + L_C` — the source loss as above plus the
    /// cross-entropy of its class head on real images (their labels) and on fakes (the classes G
    /// was asked for); G maximises `L_C − L_S`: the non-saturating adversarial loss plus the
    /// cross-entropy of its requested class. Softmax is applied once, inside the loss.
    /// Metrics add D's class accuracy on real (`acc_real`) and fake (`acc_fake`) images and G's
    /// class loss (`loss_class`).
    public static func auxiliaryClassifier(classes k: Int) -> Objective {
        let ce = Loss.softmaxCrossEntropy(column: 0, classes: k)
        return Objective(name: "ac-gan", terms: adversarialTerms + [
            Term(.real, head: 1, ce, target: .realLabels, loss: "loss_d", auxiliary: "acc_real"),
            Term(.fake, head: 1, ce, target: .sampledClasses, loss: "loss_d", auxiliary: "acc_fake"),
            Term(.generator, head: 1, ce, target: .sampledClasses, loss: "loss_g", "loss_class"),
        ], display: adversarialDisplay + [
            Display("acc(x)", ["acc_real"]), Display("acc(G(z))", ["acc_fake"]),
        ])
    }

    /// InfoGAN (Chen et al. 2016): the non-saturating GAN plus an information term
    /// `λ_cat·CE(c_cat) + λ_cont·NLL(c_cont)` of Q's outputs on G's samples against the codes G was
    /// given (a Gaussian NLL, σ = 1 unless learned: ½·MSE). The term is in both steps, as in the
    /// paper's released code: in the D step it trains the Q head *and the shared trunk* (Q is the
    /// trunk followed by its head; keeping the trunk out would leave Q a two-layer network on
    /// features made for telling real from fake), in the G step it trains G. Metrics add the G
    /// step's information loss (`loss_info`) and Q's categorical accuracy on G's samples (`acc_code`).
    public static func information(_ c: Conditioning, categoricalWeight: Float, continuousWeight: Float) -> Objective {
        var info: [Term] = []
        let q = c.classes > 0 ? 2 : 1
        for pass in [Pass.fake, .generator] {
            var column = 0
            for (k, size) in c.categorical.enumerated() {
                let ce = Loss.softmaxCrossEntropy(column: column, classes: size)
                if pass == .fake {
                    info.append(Term(pass, head: q, ce, target: .categoricalCode(k), weight: categoricalWeight, loss: "loss_d"))
                } else {
                    info.append(Term(pass, head: q, ce, target: .categoricalCode(k), weight: categoricalWeight,
                                     loss: "loss_g", "loss_info", auxiliary: k == 0 ? "acc_code" : nil))
                }
                column += size
            }
            if c.continuous > 0 {
                let nll = Loss.gaussianNLL(column: column, count: c.continuous, learnedVariance: c.learnedVariance)
                if pass == .fake {
                    info.append(Term(pass, head: q, nll, target: .continuousCodes, weight: continuousWeight, loss: "loss_d"))
                } else {
                    info.append(Term(pass, head: q, nll, target: .continuousCodes, weight: continuousWeight, loss: "loss_g", "loss_info"))
                }
            }
        }
        return Objective(name: "infogan", terms: adversarialTerms + info,
                         display: adversarialDisplay + [Display("info", ["loss_info"]), Display("acc(c)", ["acc_code"])])
    }
}
