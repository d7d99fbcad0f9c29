import ArgumentParser
import Lith
import LithApp

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = Environment.process
        try await database.withStore(environment) { _ in }
        ConsoleContext.current.write("Database \(try database.location(environment)) is up to date.\n")
    }
}
