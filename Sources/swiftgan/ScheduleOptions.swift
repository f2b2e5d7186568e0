import ArgumentParser
import Models
import Training

extension Schedule.DiscriminatorUpdate: ExpressibleByArgument {}

/// `--d-steps`, `--g-steps` and `--d-update`, shared by `train` and `bench`.
struct ScheduleOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "D steps per iteration, each on a fresh real batch and fresh fakes (the Keras tutorial's DISC_UPDATES).")
    var dSteps = 1

    @Option(parsing: .unconditional, help: "G steps per iteration (GEN_UPDATES); those after the first draw fresh noise.")
    var gSteps = 1

    @Option(help: "joint: one D update on the summed real and fake gradients (pytorch/examples); separate: one after the real batch and one after the fake batch (the Keras tutorial). Default: separate for keras-celeba, joint otherwise.")
    var dUpdate: Schedule.DiscriminatorUpdate?

    func schedule(for model: ModelConfig) throws -> Schedule {
        let s = Schedule(dSteps: dSteps, gSteps: gSteps, dUpdate: dUpdate ?? (model.architecture == .kerasCeleba ? .separate : .joint))
        do { try s.validate() } catch { throw ValidationError(error.description) }
        return s
    }
}
