import Hummingbird

/// Where routes are declared, secure by default: a route added with `get`,
/// `post`, `put`, `patch` or `delete` needs a signed-in user. Pages for
/// everyone opt out with `public`, pages only for guests with `guestOnly` —
/// visibly, at the declaration (Rails' `allow_unauthenticated_access`).
///
/// Only ``Hummingbird/Router/addLith(_:originCheck:errorPage:)`` makes one,
/// after installing Lith's middleware: a route can't be declared before it.
public struct Routes<Context: LithRequestContext> {
    /// Routes that need a signed-in user (the default).
    public let signedIn: RouteGroup<Context>
    /// Routes only for guests; signed-in users are sent home.
    public let guestOnly: RouteGroup<Context>
    /// Routes for everyone, signed in or not.
    public let `public`: RouteGroup<Context>

    init(_ router: Router<Context>, authentication: Authentication) {
        self.signedIn = RouteGroup(router.group().add(middleware: SignedInGate(authentication: authentication)))
        self.guestOnly = RouteGroup(
            router.group().add(middleware: GuestOnlyGate(authentication: authentication)),
            paths: authentication.guestOnlyPaths
        )
        self.public = RouteGroup(router.group())
    }

    /// A signed-in route.
    @discardableResult
    public func get(
        _ path: RouterPath,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> RouteGroup<Context> {
        signedIn.get(path, use: handler)
    }

    /// A signed-in route.
    @discardableResult
    public func post(
        _ path: RouterPath,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> RouteGroup<Context> {
        signedIn.post(path, use: handler)
    }

    /// A signed-in route.
    @discardableResult
    public func put(
        _ path: RouterPath,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> RouteGroup<Context> {
        signedIn.put(path, use: handler)
    }

    /// A signed-in route.
    @discardableResult
    public func patch(
        _ path: RouterPath,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> RouteGroup<Context> {
        signedIn.patch(path, use: handler)
    }

    /// A signed-in route.
    @discardableResult
    public func delete(
        _ path: RouterPath,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> RouteGroup<Context> {
        signedIn.delete(path, use: handler)
    }
}

/// Routes under one rule (signed in, guest only, public).
public struct RouteGroup<Context: LithRequestContext> {
    /// The Hummingbird group underneath, for what this doesn't offer
    /// (middleware of the app's own, nested groups): routes added to it keep the rule.
    public let routerGroup: RouterGroup<Context>
    /// Guest-only groups note their paths, so that a signed-in user's stale
    /// guest form is sent home rather than refused (``Authentication``).
    private let paths: PathSet?

    init(_ group: RouterGroup<Context>, paths: PathSet? = nil) {
        self.routerGroup = group
        self.paths = paths
    }

    /// Adds a route for `method` at `path`.
    @discardableResult
    public func on(
        _ path: RouterPath,
        method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        if let paths, !path.description.contains(":"), !path.description.contains("{"), !path.description.contains("*") {
            paths.insert(path.description.hasPrefix("/") ? path.description : "/" + path.description)
        }
        routerGroup.on(path, method: method, use: handler)
        return self
    }

    @discardableResult
    public func get(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> Self {
        on(path, method: .get, use: handler)
    }

    @discardableResult
    public func post(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> Self {
        on(path, method: .post, use: handler)
    }

    @discardableResult
    public func put(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> Self {
        on(path, method: .put, use: handler)
    }

    @discardableResult
    public func patch(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> Self {
        on(path, method: .patch, use: handler)
    }

    @discardableResult
    public func delete(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) -> Self {
        on(path, method: .delete, use: handler)
    }
}
