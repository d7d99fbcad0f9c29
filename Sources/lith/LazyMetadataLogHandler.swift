import Logging

/// swift-log's `StreamLogHandler`, with its metadata formatted only for a line
/// that is actually written.
///
/// `StreamLogHandler` turns its metadata into a string whenever the metadata
/// changes, and Hummingbird sets a request ID on every request's logger: the
/// server formatted (sorting, interpolating) that line on every page view to
/// print nothing. Here the metadata is kept as it is and handed over at `log`,
/// which `Logger` calls only at or above the level.
struct LazyMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Every line is escaped on its way out (``Swift/StringProtocol/logSafe``):
    /// Lith escapes what comes from requests where it logs it, and this is the
    /// second wall, for whatever a library logs of a request unescaped. One
    /// event is always one line.
    func log(event: LogEvent) {
        var stream = stream
        stream.metadata = Self.escaped(metadata)
        var event = event
        event.message = "\(event.message.description.logSafe(limit: Self.messageLimit, escapingBackslashes: false))"
        event.metadata = event.metadata.map(Self.escaped)
        stream.log(event: event)
    }

    static let messageLimit = 2000
    static let valueLimit = 500

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escaped)
    }

    private static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(text.logSafe(limit: valueLimit, escapingBackslashes: false))
        case .stringConvertible(let convertible): .string(convertible.description.logSafe(limit: valueLimit, escapingBackslashes: false))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values): .dictionary(values.mapValues(escaped))
        }
    }
}
