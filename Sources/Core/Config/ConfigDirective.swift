/// One directive of an SRS/nginx-style config: `name args...;` or `name args... { children }`,
/// with where it was written (for `file:line` errors).
public struct ConfigDirective: Equatable, Sendable {
    public var name: String
    public var args: [String]
    public var children: [ConfigDirective]
    /// True when written as a block (`{ ... }`), even an empty one.
    public var isBlock: Bool
    public var file: String
    public var line: Int

    public init(name: String, args: [String] = [], children: [ConfigDirective] = [], isBlock: Bool = false,
                file: String = "", line: Int = 0) {
        self.name = name
        self.args = args
        self.children = children
        self.isBlock = isBlock
        self.file = file
        self.line = line
    }

    /// The first child with this name (SRS takes the first when a directive is repeated).
    public func child(_ name: String) -> ConfigDirective? { children.first { $0.name == name } }

    /// Every child with this name, in order.
    public func all(_ name: String) -> [ConfigDirective] { children.filter { $0.name == name } }

    /// The first argument, or nil.
    public var arg0: String? { args.first }

    /// `file:line` for messages.
    public var location: String { "\(file):\(line)" }
}
