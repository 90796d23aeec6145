/// `exec { publish ./program args...; }` (`SrsNgExec::parse_exec_publish` and
/// `SrsProcess::initialize`): the directive's arguments, each rendered as a template, become
/// the argv; redirections written in them are taken out and applied by us, never by a shell:
/// `>file` and `1>file` (stdout), `2>file` (stderr), and the same with the file as the next
/// argument (`1 > file`, `> file`). An argument with `>` in any other place (`a>b`) is passed as
/// written (SRS splits it and drops the `>`). A redirection's file is built by `ConfinedPath`:
/// the part from its first `[variable]` on is rendered and must stay under the fixed directory
/// before it (a client's pageUrl of `../../x` cannot pick the file); a refused one falls back to
/// the default log.
public enum ExecArguments {
    /// The command of one `publish` directive: `args[0]` is the program. `render` turns each
    /// argument's template into its value (variables of the stream, the time). Output that is
    /// not redirected goes to `defaultLog` (nil: `/dev/null`).
    public static func command(_ args: [String], defaultLog: String?, render: (String) -> String) -> ChildCommand? {
        guard let first = args.first, !first.isEmpty else { return nil }
        // As SRS: the program as written, argv[0] rendered.
        var argv = [render(first)]
        var stdout: String?
        var stderr: String?
        var i = 1
        while i < args.count {
            var a = args[i]
            i += 1
            // `1 > file`, `2 > file`: the descriptor as an argument of its own.
            if (a == "1" || a == "2"), i < args.count, args[i].hasPrefix(">") {
                a += args[i]
                i += 1
            }
            guard let gt = a.firstIndex(of: ">"), ["", "1", "2"].contains(a[..<gt]) else {
                argv.append(render(a))
                continue
            }
            var target = String(a[a.index(after: gt)...])
            if target.isEmpty, i < args.count {
                target = args[i]
                i += 1
            }
            if a.hasPrefix("2") { stderr = file(target, render) } else { stdout = file(target, render) }
        }
        return ChildCommand(program: first, arguments: argv, stdoutPath: stdout ?? defaultLog, stderrPath: stderr ?? defaultLog)
    }

    /// A redirection's file, confined to the directory before its first variable; nil: refused.
    static func file(_ template: String, _ render: (String) -> String) -> String? {
        let (root, relative) = ConfinedPath.splitTemplate(template)
        return try? ConfinedPath.join(root: root, render(relative))
    }
}
