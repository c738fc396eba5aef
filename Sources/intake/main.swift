import Foundation
import IntakeCore

exit(IntakeCommandLine.main(Array(CommandLine.arguments.dropFirst())).rawValue)
