import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// The throttle on login and signup attempts (``Throttle``), on a real store.
@Suite("Throttle")
struct ThrottleTests {
    static let home = IPAddress("192.0.2.10")!
    static let elsewhere = IPAddress("198.51.100.20")!

    static func withThrottle(policy: ThrottlePolicy = ThrottlePolicy(), _ body: (Throttle, TestClock) async throws -> Void) async throws {
        try await StoreKind.sqlite.with { store in
            let clock = TestClock()
            try await body(Throttle(store: store, policy: policy, clock: { clock.now }), clock)
        }
    }

    /// Fails `count` login attempts for `email` from `address`.
    static func fail(_ throttle: Throttle, _ email: String, from address: IPAddress?, times count: Int) async throws {
        for _ in 0..<count {
            let admission = try await throttle.admitLogin(Throttle.LoginKeys(email: email, address: address))
            try await throttle.loginFailed(admission)
        }
    }

    @Test func theSixthGuessFromOneAddressMustWait() async throws {
        try await Self.withThrottle { throttle, _ in
            // given five wrong passwords for Ada from one address
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 5)
            // when a sixth comes at once
            // then it is refused for the first delay, scoped to the account
            await #expect(throws: Throttled(retryAfterSeconds: 30, scope: .account)) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
            }
        }
    }

    @Test func aRefusedAttemptIsNotCountedAndTheWaitEnds() async throws {
        try await Self.withThrottle { throttle, clock in
            // given five failures and a refused sixth
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 5)
            _ = try? await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
            // when the first delay has passed
            clock.advance(by: 30)
            // then the next attempt goes ahead (the refused one added nothing)
            try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
            // and the one after it waits twice as long
            await #expect(throws: Throttled(retryAfterSeconds: 60, scope: .account)) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
            }
        }
    }

    @Test func anUnknownEmailIsThrottledExactlyLikeARealOne() async throws {
        try await Self.withThrottle { throttle, _ in
            // the throttle has no idea who has an account: its keys are the typed email
            try await Self.fail(throttle, "nobody@example.com", from: Self.home, times: 5)
            await #expect(throws: Throttled.self) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: " NOBODY@example.com", address: Self.home))
            }
        }
    }

    @Test func guessingFromOneAddressDoesNotSlowTheOwnerElsewhere() async throws {
        try await Self.withThrottle { throttle, _ in
            // given a stranger's five failures for Ada from their address
            try await Self.fail(throttle, "ada@example.com", from: Self.elsewhere, times: 5)
            // then Ada from home is not held back
            try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
        }
    }

    @Test func guessesSpreadOverManyAddressesHitTheAccountLimit() async throws {
        var policy = ThrottlePolicy()
        policy.loginAccount.freeFailures = 10
        try await Self.withThrottle(policy: policy) { throttle, _ in
            // given ten failures for Ada, each from a different address
            for index in 0..<10 {
                try await Self.fail(throttle, "ada@example.com", from: IPAddress("203.0.113.\(index + 1)")!, times: 1)
            }
            // then an eleventh address must wait
            await #expect(throws: Throttled(retryAfterSeconds: 60, scope: .account)) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: IPAddress("203.0.113.99")!))
            }
        }
    }

    @Test func theAccountLimitNeverLocksTheOwnerOutOfAnAddressTheySignedInFrom() async throws {
        var policy = ThrottlePolicy()
        policy.loginAccount.freeFailures = 10
        try await Self.withThrottle(policy: policy) { throttle, _ in
            // given Ada signed in from home once
            let homeKeys = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await throttle.admitLogin(homeKeys)
            try await throttle.loginSucceeded(homeKeys)
            // when a botnet fails for her account from many addresses
            for index in 0..<12 {
                _ = try? await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: IPAddress("203.0.113.\(index + 1)")!))
            }
            // then strangers wait, and Ada at home does not
            await #expect(throws: Throttled.self) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: IPAddress("203.0.113.99")!))
            }
            try await throttle.admitLogin(homeKeys)
        }
    }

    @Test func oneAddressFailingAcrossManyAccountsHitsTheAddressLimit() async throws {
        var policy = ThrottlePolicy()
        policy.loginAddress.freeFailures = 20
        try await Self.withThrottle(policy: policy) { throttle, _ in
            // given twenty failures from one address, each for another account (credential stuffing)
            for index in 0..<20 { try await Self.fail(throttle, "user\(index)@example.com", from: Self.elsewhere, times: 1) }
            // then the next account from there waits, scoped to the address; another address does not
            await #expect(throws: Throttled(retryAfterSeconds: 900, scope: .address)) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "user99@example.com", address: Self.elsewhere))
            }
            try await throttle.admitLogin(Throttle.LoginKeys(email: "user99@example.com", address: Self.home))
        }
    }

    @Test func anIPv6ClientIsCountedByItsSlash64() async throws {
        var policy = ThrottlePolicy()
        policy.loginAddress.freeFailures = 3
        try await Self.withThrottle(policy: policy) { throttle, _ in
            // given three failures from three addresses of one /64
            for host in ["1", "2", "3"] {
                try await Self.fail(throttle, "user\(host)@example.com", from: IPAddress("2001:db8:1:2::\(host)")!, times: 1)
            }
            // then a fourth address in it waits
            await #expect(throws: Throttled.self) {
                try await throttle.admitLogin(Throttle.LoginKeys(email: "user4@example.com", address: IPAddress("2001:db8:1:2::4")!))
            }
        }
    }

    @Test func aSuccessClearsThePairsFailures() async throws {
        try await Self.withThrottle { throttle, _ in
            // given four failures, then the right password
            let keys = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 4)
            try await throttle.admitLogin(keys)
            try await throttle.loginSucceeded(keys)
            // then five more typos are free again
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 5)
        }
    }

    @Test func parallelGuessesAreEachJudgedOnTheCountTheyGot() async throws {
        try await Self.withThrottle { throttle, _ in
            // when twenty guesses for one account arrive from one address at once
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask { (try? await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            // then only the free five got through: the burst didn't slip past an unraised counter
            #expect(admitted == 5)
        }
    }

    @Test func parallelLoginsFromTheOwnersAddressAreNotHeldBack() async throws {
        try await Self.withThrottle { throttle, _ in
            // given Ada signed in from home once
            let home = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await throttle.loginSucceeded(try await throttle.admitLogin(home))
            // when sixteen logins for her arrive from home at once (a script, a shared account)
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<16 { group.addTask { (try? await throttle.admitLogin(home)) != nil } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            // then every one is let through to have its password checked
            #expect(admitted == 16)
        }
    }

    @Test func theAddressAnAccountWasCreatedFromIsTheOwners() async throws {
        try await Self.withThrottle { throttle, _ in
            // given Ada's account created from home, where nothing ever failed
            let home = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await throttle.remember(home)
            // then her first attempt from there is checked before it is counted
            // (sixteen parallel logins right after signup are not guesses)
            #expect(try await !throttle.admitLogin(home).counted)
            // and from elsewhere, or without an address, it is counted first
            #expect(try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.elsewhere)).counted)
            #expect(try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: nil)).counted)
        }
    }

    @Test func aLoginFromHomeWithNothingFailedWritesNothingUntilADayHasPassed() async throws {
        let faults = StoreFaults()
        try await StoreKind.sqlite.with(injecting: faults) { store in
            let clock = TestClock()
            let throttle = Throttle(store: store, clock: { clock.now })
            let home = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await throttle.loginSucceeded(try await throttle.admitLogin(home))
            // when the store can't record a success any more
            faults.fail(.recordSuccess, with: .unavailable("down"))
            // then the next login from home needs no write
            try await throttle.loginSucceeded(try await throttle.admitLogin(home))
            // and a day later the address is remembered afresh
            clock.advance(by: 86_401)
            let later = try await throttle.admitLogin(home)
            await #expect(throws: StoreError.self) { try await throttle.loginSucceeded(later) }
        }
    }

    @Test func guessesFromTheOwnersAddressAreStillCountedOnceChecked() async throws {
        try await Self.withThrottle { throttle, _ in
            let home = Throttle.LoginKeys(email: "ada@example.com", address: Self.home)
            try await throttle.loginSucceeded(try await throttle.admitLogin(home))
            // when five wrong passwords come from home, one after another
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 5)
            // then the sixth waits, as from anywhere
            await #expect(throws: Throttled.self) { try await throttle.admitLogin(home) }
        }
    }

    @Test func signupsFromOneAddressAreLimitedPerHour() async throws {
        var policy = ThrottlePolicy()
        policy.signupAddress.freeFailures = 3
        try await Self.withThrottle(policy: policy) { throttle, clock in
            // given three signups from one address
            for _ in 0..<3 { try await throttle.admitSignup(from: Self.home) }
            // then the fourth waits an hour, scoped to the address, and goes ahead after it
            await #expect(throws: Throttled(retryAfterSeconds: 3600, scope: .address)) { try await throttle.admitSignup(from: Self.home) }
            try await throttle.admitSignup(from: Self.elsewhere)
            clock.advance(by: 3600)
            try await throttle.admitSignup(from: Self.home)
        }
    }

    @Test func unlockingClearsTheAccountsCountersAndTheListShowsWhatWaits() async throws {
        try await Self.withThrottle { throttle, _ in
            // given Ada throttled from one address
            try await Self.fail(throttle, "ada@example.com", from: Self.home, times: 5)
            #expect(try await throttle.limitedNow().map(\.key.kind) == [.loginPair])
            // when an operator unlocks her
            try await throttle.unlock(email: try EmailAddress("ada@example.com"))
            // then nothing waits, and she may try again at once
            #expect(try await throttle.limitedNow().isEmpty)
            try await throttle.admitLogin(Throttle.LoginKeys(email: "ada@example.com", address: Self.home))
        }
    }

    @Test func theWaitIsSaidInWordsAPersonReads() {
        #expect(Throttled(retryAfterSeconds: 240, scope: .account).message == "Too many attempts for this account. Try again in 4 minutes.")
        #expect(Throttled(retryAfterSeconds: 1, scope: .address).message == "Too many attempts from your network. Try again in 1 second.")
        #expect(Throttled(retryAfterSeconds: 61, scope: .account).message == "Too many attempts for this account. Try again in 2 minutes.")
    }
}
