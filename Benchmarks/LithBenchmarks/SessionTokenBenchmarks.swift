import Benchmark
import Lith

/// The session cookie's two paths: a login makes a token and stores its
/// SHA-256 digest; every signed-in request parses the cookie back and digests
/// it to find the session.
func registerSessionTokenBenchmarks() {
    Benchmark("session token generate + digest", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            let token = SessionToken.generate()
            blackHole(token.cookieValue)
            blackHole(token.digest)
        }
    }

    Benchmark("session token from cookie + digest", configuration: perThousand) { benchmark, cookie in
        for _ in benchmark.scaledIterations {
            guard let token = SessionToken(cookieValue: cookie) else {
                benchmark.error("a cookie Lith issued didn't parse")
                return
            }
            blackHole(token.digest)
        }
    } setup: {
        SessionToken.generate().cookieValue
    }
}
