/// BatchNorm's loops over `(n, C, P)` tensors, for the plain and the blocked layout.
///
/// Both visit each channel's values in the same order (samples, then pixels), so the Double
/// sums behind the statistics are the same bits in either layout. Per-channel arrays have
/// `C' = layout.storedChannels(C)` entries; the blocked loops run over whole blocks, with zeros
/// in the arrays' padding entries, so padding channels stay zero. They work on eight channels
/// of a block at a time (`SIMD8`; blocks are 8 or 16 channels), one pixel after another.
enum BatchNormKernels {
    typealias F8 = SIMD8<Float>
    typealias D8 = SIMD8<Double>

    /// A fused ReLU (slope 0) or LeakyReLU after BatchNorm, blocked layout only: applied to
    /// `z = a·x + b` in the forward; its derivative (from the sign of `z`, recomputed from `x`)
    /// scales the incoming gradient in the backward, so neither needs a pass of its own.
    @inline(__always) static func activate(_ z: F8, _ slope: Float) -> F8 { z.replacing(with: z * slope, where: z .<= 0) }
    @inline(__always) static func gate(_ g: F8, _ z: F8, _ slope: Float) -> F8 { g.replacing(with: g * slope, where: z .<= 0) }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func store(_ v: F8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self) }
    @inline(__always) static func load(_ p: UnsafePointer<Double>) -> D8 { UnsafeRawPointer(p).loadUnaligned(as: D8.self) }
    @inline(__always) static func store(_ v: D8, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: D8.self) }

    /// `row[c] = Σ x`, `row[C + c] = Σ x²` over `samples` and pixels. `scratch`: `2·C'` Doubles.
    static func sums(_ x: UnsafePointer<Float>, _ layout: Layout, C: Int, P: Int, samples: Range<Int>,
                     scratch: UnsafeMutablePointer<Double>, into row: UnsafeMutablePointer<Double>) {
        switch layout {
        case .plain:
            for ch in 0..<C {
                var s1 = 0.0, s2 = 0.0
                for s in samples {
                    let p = x + (s * C + ch) * P
                    for i in 0..<P { let v = Double(p[i]); s1 += v; s2 += v * v }
                }
                row[ch] = s1
                row[C + ch] = s2
            }
        case let .blocked(b):
            let stored = layout.storedChannels(C), blocks = stored / b
            let s1 = scratch, s2 = scratch + stored
            scratch.update(repeating: 0, count: 2 * stored)
            for s in samples {
                for block in 0..<blocks {
                    for group in stride(from: 0, to: b, by: 8) {
                        let o = block * b + group
                        var a1 = load(s1 + o), a2 = load(s2 + o)
                        var p = x + (s * blocks + block) * P * b + group
                        for _ in 0..<P {
                            let v = D8(load(p))
                            a1 += v
                            a2 += v * v
                            p += b
                        }
                        store(a1, s1 + o)
                        store(a2, s2 + o)
                    }
                }
            }
            for ch in 0..<C {
                row[ch] = s1[ch]
                row[C + ch] = s2[ch]
            }
        }
    }

    /// `y = x·a[c] + b[c]` for samples `0..<n`, then the fused activation if any (`slope`).
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ layout: Layout, C: Int, P: Int, n: Int,
                       a: UnsafePointer<Float>, b shift: UnsafePointer<Float>, slope: Float?) {
        switch layout {
        case .plain:
            precondition(slope == nil, "a fused activation needs the blocked layout")
            for s in 0..<n {
                for ch in 0..<C {
                    let src = x + (s * C + ch) * P, dst = y + (s * C + ch) * P
                    let k = a[ch], d = shift[ch]
                    for i in 0..<P { dst[i] = src[i] * k + d }
                }
            }
        case let .blocked(b):
            let blocks = layout.storedChannels(C) / b
            for s in 0..<n {
                for block in 0..<blocks {
                    for group in stride(from: 0, to: b, by: 8) {
                        let k = load(a + block * b + group), d = load(shift + block * b + group)
                        let offset = (s * blocks + block) * P * b + group
                        var src = x + offset, dst = y + offset
                        if let slope {
                            for _ in 0..<P {
                                store(activate(load(src) * k + d, slope), dst)
                                src += b
                                dst += b
                            }
                        } else {
                            for _ in 0..<P {
                                store(load(src) * k + d, dst)
                                src += b
                                dst += b
                            }
                        }
                    }
                }
            }
        }
    }

    /// `row[c] = Σ dy`, `row[C + c] = Σ dy·x̂` with `x̂ = (x − μ)·inv`, over `samples` and pixels
    /// (`dy` through the fused activation's derivative first, if any: `slope`, with the
    /// forward's `a`, `b`).
    static func gradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ layout: Layout, C: Int, P: Int, samples: Range<Int>,
                             mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, slope: Float?, a: UnsafePointer<Float>, b shift: UnsafePointer<Float>,
                             scratch: UnsafeMutablePointer<Double>, into row: UnsafeMutablePointer<Double>) {
        switch layout {
        case .plain:
            precondition(slope == nil, "a fused activation needs the blocked layout")
            for ch in 0..<C {
                var sdy = 0.0, sdyx = 0.0
                let mu = mean[ch], inv = invStd[ch]
                for s in samples {
                    let g = dy + (s * C + ch) * P, v = x + (s * C + ch) * P
                    for i in 0..<P { sdy += Double(g[i]); sdyx += Double(g[i] * (v[i] - mu) * inv) }
                }
                row[ch] = sdy
                row[C + ch] = sdyx
            }
        case let .blocked(b):
            let stored = layout.storedChannels(C), blocks = stored / b
            let s1 = scratch, s2 = scratch + stored
            scratch.update(repeating: 0, count: 2 * stored)
            for s in samples {
                for block in 0..<blocks {
                    for group in stride(from: 0, to: b, by: 8) {
                        let o = block * b + group
                        var a1 = load(s1 + o), a2 = load(s2 + o)
                        let mu = load(mean + o), inv = load(invStd + o), k = load(a + o), d = load(shift + o)
                        let offset = (s * blocks + block) * P * b + group
                        var g = dy + offset, v = x + offset
                        if let slope {
                            for _ in 0..<P {
                                let xv = load(v), gv = gate(load(g), xv * k + d, slope)
                                a1 += D8(gv)
                                a2 += D8(gv * (xv - mu) * inv)
                                g += b
                                v += b
                            }
                        } else {
                            for _ in 0..<P {
                                let gv = load(g)
                                a1 += D8(gv)
                                a2 += D8(gv * (load(v) - mu) * inv)
                                g += b
                                v += b
                            }
                        }
                        store(a1, s1 + o)
                        store(a2, s2 + o)
                    }
                }
            }
            for ch in 0..<C {
                row[ch] = s1[ch]
                row[C + ch] = s2[ch]
            }
        }
    }

    /// `dx = k·(dy − mean(dy) − x̂·mean(dy·x̂))` with `k = γ·inv`, for samples `0..<n` (`dy`
    /// through the fused activation's derivative first, as in `gradientSums`).
    static func inputGradient(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ layout: Layout,
                              C: Int, P: Int, n: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, k: UnsafePointer<Float>,
                              meanDy: UnsafePointer<Float>, meanDyX: UnsafePointer<Float>,
                              slope: Float?, a: UnsafePointer<Float>, b shift: UnsafePointer<Float>) {
        switch layout {
        case .plain:
            precondition(slope == nil, "a fused activation needs the blocked layout")
            for ch in 0..<C {
                let inv = invStd[ch], mu = mean[ch], kc = k[ch], mdy = meanDy[ch], mdyx = meanDyX[ch]
                for s in 0..<n {
                    let g = dy + (s * C + ch) * P, v = x + (s * C + ch) * P, d = dx + (s * C + ch) * P
                    for i in 0..<P {
                        let xhat = (v[i] - mu) * inv
                        d[i] = kc * (g[i] - mdy - xhat * mdyx)
                    }
                }
            }
        case let .blocked(b):
            let blocks = layout.storedChannels(C) / b
            for s in 0..<n {
                for block in 0..<blocks {
                    for group in stride(from: 0, to: b, by: 8) {
                        let o = block * b + group
                        let mu = load(mean + o), inv = load(invStd + o), kc = load(k + o), mdy = load(meanDy + o), mdyx = load(meanDyX + o)
                        let fa = load(a + o), fb = load(shift + o)
                        let offset = (s * blocks + block) * P * b + group
                        var g = dy + offset, v = x + offset, d = dx + offset
                        if let slope {
                            for _ in 0..<P {
                                let xv = load(v), gv = gate(load(g), xv * fa + fb, slope)
                                store(kc * (gv - mdy - (xv - mu) * inv * mdyx), d)
                                g += b
                                v += b
                                d += b
                            }
                        } else {
                            for _ in 0..<P {
                                store(kc * (load(g) - mdy - (load(v) - mu) * inv * mdyx), d)
                                g += b
                                v += b
                                d += b
                            }
                        }
                    }
                }
            }
        }
    }
}
