import Benchmark
import Crypto
@_spi(Benchmarks) import Lith

/// CSRF tokens as the middleware makes and checks them: an HMAC-SHA256 of the
/// session token (signed in) or of the guest's cookie nonce, compared in
/// constant time with what the form sent.
func registerCSRFBenchmarks() {
    let tokens = CSRFTokens(key: SymmetricKey(size: .bits256))

    // A signed-in POST: derive the expected token from the session, compare.
    Benchmark("CSRF session token issue + verify", configuration: perThousand) { benchmark, session in
        let presented = tokens.token(forSession: session)
        for _ in benchmark.scaledIterations {
            let expected = tokens.token(forSession: session)
            guard tokens.matches(presented, expected: expected) else {
                benchmark.error("a session's own CSRF token didn't match")
                return
            }
        }
    } setup: {
        SessionToken.generate()
    }

    // A guest's first page: a new nonce for the cookie and the form's token.
    Benchmark("CSRF guest nonce + token issue", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(tokens.token(forGuestNonce: CSRFTokens.newGuestNonce()))
        }
    }

    // A guest's POST (login, signup): re-derive from the cookie's nonce, compare.
    Benchmark("CSRF guest token verify", configuration: perThousand) { benchmark, nonce in
        let presented = tokens.token(forGuestNonce: nonce)
        for _ in benchmark.scaledIterations {
            let expected = tokens.token(forGuestNonce: nonce)
            guard tokens.matches(presented, expected: expected) else {
                benchmark.error("a guest's own CSRF token didn't match")
                return
            }
        }
    } setup: {
        CSRFTokens.newGuestNonce()
    }
}
