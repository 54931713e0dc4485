import ArgumentParser

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A self-hosted, multi-channel customer-service message router.",
        subcommands: [
            Serve.self, CheckConfig.self, Mailgate.self, ImportCDR.self, Bench.self, Agents.self, Migrate.self, Export.self, Import.self,
            GenerateHistory.self, BenchSearch.self, AuditCommand.self, Customers.self,
        ])
}
