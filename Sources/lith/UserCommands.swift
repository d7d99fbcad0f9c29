import ArgumentParser
import Foundation
import Lith

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create, list, delete and unlock accounts, and make password-reset links.",
        subcommands: [CreateUser.self, ListUsers.self, DeleteUser.self, UnlockUser.self, ResetLink.self]
    )
}

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an account.",
        discussion: """
            The password is never taken from the command line, where other users and shell history would see it. \
            At a terminal it is asked for twice, without echo; otherwise the first line of standard input is used:
              printf '%s\\n' "$PASSWORD" | lith user create --email ada@example.com
            """
    )

    @Option(help: "The account's email address.") var email: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup var passwords: PasswordOptions

    func run() async throws {
        let console = ConsoleContext.current
        let environment = Environment.process
        // Everything that can be checked before asking for the password is:
        // no one types a password twice to hear the email was wrong.
        let address: EmailAddress
        do { address = try EmailAddress(email) } catch { throw CLIError("--email: \(error.message)") }
        let hasher = PasswordHasher(parameters: try hashing.scrypt(environment), maximumConcurrentHashes: 1)
        let policy = try passwords.policy(environment)
        let user = try await database.withStore(environment) { store in
            guard try await store.user(email: address) == nil else { throw CLIError("an account with email \(address) already exists") }
            let password = try readPassword(console)
            do {
                return try await Accounts(store: store, hasher: hasher, passwordPolicy: policy)
                    .register(email: email, password: password, confirmation: password, recordingAs: .userCreated)
            } catch let errors as FieldErrors {
                let messages = AccountField.allCases.compactMap { field in errors[field].map { "\(field.rawValue): \($0)" } }
                throw CLIError(messages.joined(separator: " "))
            }
        }
        console.write("Created account \(user.id) for \(user.email).\n")
    }

    private func readPassword(_ console: any Console) throws -> String {
        if let first = console.readSecret(prompt: "Password for \(email): ") {
            guard console.readSecret(prompt: "Repeat the password: ") == first else {
                throw CLIError("the passwords don't match")
            }
            return first
        }
        guard let line = console.readLine(), !line.isEmpty else {
            throw CLIError("no password given: type it at the prompt or pipe it on standard input")
        }
        return line
    }
}

struct ListUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every account, oldest first: id, email, created, and when the address was confirmed (or 'unconfirmed')."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let console = ConsoleContext.current
        let users = try await database.withStore(Environment.process, mustExist: true) { try await $0.users() }
        guard !users.isEmpty else {
            console.write("No accounts yet.\n")
            return
        }
        for user in users {
            let confirmed = user.emailVerifiedAt.map { $0.formatted(.iso8601) } ?? "unconfirmed"
            console.write("\(user.id)\t\(user.email)\t\(user.createdAt.formatted(.iso8601))\t\(confirmed)\n")
        }
    }
}

struct DeleteUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an account and end all of its sessions."
    )

    @Option(help: "The account's email address.") var email: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let address: EmailAddress
        do { address = try EmailAddress(email) } catch { throw CLIError("--email: \(error.message)") }
        try await database.withStore(Environment.process, mustExist: true) { store in
            guard let user = try await store.user(email: address), try await store.deleteUser(id: user.id) else {
                throw CLIError("no account with email \(address)")
            }
            try await store.insertEvent(SecurityEvent(.userDeleted, at: Date(), userID: user.id, email: address))
        }
        ConsoleContext.current.write("Deleted \(address) and ended its sessions.\n")
    }
}

struct UnlockUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Clear an account's failed-login counters, so its owner can try again at once.",
        discussion: "Counters of the addresses it was attacked from stay; see 'lith throttle list'."
    )

    @Option(help: "The account's email address (it need not exist: unknown emails are throttled too).") var email: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let address: EmailAddress
        do { address = try EmailAddress(email) } catch { throw CLIError("--email: \(error.message)") }
        let cleared = try await database.withStore(Environment.process, mustExist: true) { store in
            let cleared = try await Throttle(store: store).unlock(email: address)
            let user = try await store.user(email: address)
            try await store.insertEvent(SecurityEvent(.userUnlocked, at: Date(), userID: user?.id, email: address))
            return cleared
        }
        ConsoleContext.current.write("Unlocked \(address): cleared \(cleared) counter\(cleared == 1 ? "" : "s").\n")
    }
}

struct ResetLink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-link",
        abstract: "Print a password-reset link for an account, for an operator helping someone by phone.",
        discussion: """
            The link works once, for an hour, and replaces any link sent before. Nothing is mailed. \
            Read it only to the account's owner: it lets whoever opens it choose the password.
            """
    )

    @Option(help: "The account's email address.") var email: String
    @Option(help: "The origin the site is reached at, e.g. https://login.example.com. (env: LITH_PUBLIC_URL)") var publicURL: String?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = Environment.process
        let address: EmailAddress
        do { address = try EmailAddress(email) } catch { throw CLIError("--email: \(error.message)") }
        guard let text = publicURL ?? environment["LITH_PUBLIC_URL"] else {
            throw CLIError("--public-url (or LITH_PUBLIC_URL) is needed: the link must point at the site people use")
        }
        let origin: PublicURL
        do { origin = try PublicURL(text) } catch { throw CLIError("--public-url: \(String(describing: error))") }
        let link = try await database.withStore(environment, mustExist: true) { store -> String in
            guard let user = try await store.user(email: address) else { throw CLIError("no account with email \(address)") }
            let accounts = Accounts(store: store, hasher: PasswordHasher(parameters: .owasp, maximumConcurrentHashes: 1))
            let links = MailedLinks(
                store: store,
                mail: MailQueue(outbox: store, composer: MailComposer(from: MailFrom(address: address)), signal: DeliverySignal()),
                origin: { origin.origin },
                securityLog: NoSecurityLog()
            )
            let resets = PasswordResets(accounts: accounts, links: links, letters: ResetLetters(siteName: "Lith"))
            return try await resets.link(for: user)
        }
        ConsoleContext.current.write(link + "\n")
    }
}
