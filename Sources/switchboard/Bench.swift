import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load generator for a running gateway.")

    func run() async throws {
        print("bench: not built yet")
    }
}
