import Benchmark
import Foundation
@_spi(Benchmarks) import Lith

/// The signed-in dashboard rendered to bytes (layout, navbar, the page's
/// model, HTML escaping), as a request renders it, without HTTP.
func registerDashboardBenchmarks() {
    Benchmark("dashboard render") { (benchmark, page: SignedInPage) in
        for _ in benchmark.scaledIterations {
            blackHole(page.pages.dashboardHTML(user: page.user, session: page.session, csrfToken: page.csrfToken))
        }
    } setup: {
        // Reads the templates from lith_Lith.resources beside this executable;
        // throws Pages.ResourcesMissing (naming where it looked) if absent.
        let pages = try await Pages.load()
        let now = Date()
        let user = User(id: 1, email: try EmailAddress("ada.lovelace@example.com"), createdAt: now, passwordChangedAt: now)
        let token = SessionToken.generate()
        let session = SessionRecord(
            id: SessionID.generate(),
            tokenDigest: token.digest,
            userID: user.id,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: now.addingTimeInterval(30 * 86_400),
            idleTimeout: 86_400,
            rememberMe: true,
            userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ipAddress: "192.0.2.10"
        )
        let csrfToken = CSRFTokens(key: .init(size: .bits256)).token(forSession: token)
        return SignedInPage(pages: pages, user: user, session: session, csrfToken: csrfToken)
    }
}

/// What the dashboard renders from: the templates and one signed-in request's state.
struct SignedInPage {
    let pages: Pages
    let user: User
    let session: SessionRecord
    let csrfToken: String
}
