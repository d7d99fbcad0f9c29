import Hummingbird

/// Where routes are declared, secure by default: a route added with `get` or
/// `post` needs a signed-in user. Pages for everyone opt out with `public`,
/// pages only for guests with `guestOnly` — visibly, at the declaration.
public struct Routes<Context: LithRequestContext> {
    /// Routes that need a signed-in user (the default).
    public let signedIn: RouterGroup<Context>
    /// Routes only for guests; signed-in users are sent home.
    public let guestOnly: RouterGroup<Context>
    /// Routes for everyone, signed in or not.
    public let `public`: RouterGroup<Context>

    public init(_ router: Router<Context>, authentication: Authentication) {
        self.signedIn = router.group().add(middleware: RequireUser(authentication))
        self.guestOnly = router.group().add(middleware: RedirectIfSignedIn(authentication))
        self.public = router.group()
    }

    @discardableResult
    public func get(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> RouterGroup<Context> {
        signedIn.get(path, use: handler)
    }

    @discardableResult
    public func post(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> RouterGroup<Context> {
        signedIn.post(path, use: handler)
    }
}
