import ArgumentParser
import Foundation
import Lith

/// Throttling, the client's address behind proxies, and the security log's
/// retention (``ThrottlePolicy``, ``TrustedProxies``).
struct AccountSecurityOptions: ParsableArguments {
    @Option(
        help: """
            Proxies in front of Lith whose X-Forwarded-For names the client, as comma-separated addresses or CIDRs \
            (e.g. 127.0.0.1,10.0.0.0/8). (env: LITH_TRUSTED_PROXIES; default: none, the socket's peer is the client)
            """
    )
    var trustedProxies: String?

    @Option(
        help: """
            Which header the trusted proxies set: x-forwarded-for or forwarded (RFC 7239); only that one is read. \
            (env: LITH_CLIENT_ADDRESS_HEADER; default: x-forwarded-for)
            """
    )
    var clientAddressHeader: String?

    @Option(
        help: """
            Failures allowed before waits begin, as comma-separated name=count: login-pair (one account from one address, 5), \
            login-account (one account from anywhere, 50), login-address (one address across accounts, 300 per 15m), \
            signup-address (signups per address, 20 per hour), reset-account (reset links per email, 5 per hour), \
            reset-address (reset links per address, 20 per hour). (env: LITH_THROTTLE)
            """
    )
    var throttle: String?

    @Option(help: "How long the security log keeps an entry. (env: LITH_AUDIT_RETENTION; default: 90d)")
    var auditRetention: String?

    func trustedProxies(_ environment: Environment) throws -> TrustedProxies {
        let header = try clientAddressHeader(environment)
        guard let text = trustedProxies ?? environment["LITH_TRUSTED_PROXIES"] else { return TrustedProxies.none }
        do {
            return try TrustedProxies(text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }, header: header)
        } catch {
            throw CLIError("--trusted-proxies: \(error)")
        }
    }

    private func clientAddressHeader(_ environment: Environment) throws -> ForwardedHeader {
        guard let text = clientAddressHeader ?? environment["LITH_CLIENT_ADDRESS_HEADER"] else { return .xForwardedFor }
        guard let header = ForwardedHeader(rawValue: text.lowercased()) else {
            throw CLIError("--client-address-header must be x-forwarded-for or forwarded, got '\(text.logSafe)'")
        }
        return header
    }

    /// The throttle's names, as the option spells them.
    static let throttleNames: [String: CounterKey.Kind] = [
        "login-pair": .loginPair, "login-account": .loginAccount, "login-address": .loginAddress, "signup-address": .signupAddress,
        "reset-account": .resetAccount, "reset-address": .resetAddress,
    ]

    func throttlePolicy(_ environment: Environment) throws -> ThrottlePolicy {
        var policy = ThrottlePolicy()
        guard let text = throttle ?? environment["LITH_THROTTLE"] else { return policy }
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let kind = Self.throttleNames[parts[0]], let count = Int(parts[1]), (1...1_000_000).contains(count) else {
                throw CLIError(
                    "--throttle takes name=count with names \(Self.throttleNames.keys.sorted().joined(separator: ", ")) and counts from 1 to 1000000, got '\(String(item).logSafe)'"
                )
            }
            policy[kind].freeFailures = count
        }
        return policy
    }

    func auditRetention(_ environment: Environment) throws -> TimeInterval {
        try (auditRetention ?? environment["LITH_AUDIT_RETENTION"]).map { try DurationText.parse($0, name: "--audit-retention") }
            ?? PurgeService.defaultAuditRetention
    }
}

/// What a new password must be.
struct PasswordOptions: ParsableArguments {
    @Option(help: "The shortest password allowed, in characters (at least 8). (env: LITH_PASSWORD_MIN_LENGTH; default: 8)")
    var passwordMinLength: Int?

    func policy(_ environment: Environment) throws -> PasswordPolicy {
        let length = try passwordMinLength ?? environment.int("LITH_PASSWORD_MIN_LENGTH") ?? 8
        // NIST SP 800-63B's floor; 64 is where its own guidance on maximums starts.
        guard (8...64).contains(length) else { throw CLIError("--password-min-length must be between 8 and 64, got \(length)") }
        return try PasswordPolicy.standard(minimumLength: length)
    }
}
