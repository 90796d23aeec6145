/// `exec { publish ./program args...; }` (`SrsNgExec::parse_exec_publish` and
/// `SrsProcess::initialize`): the directive's arguments, each rendered as a template, become
/// the argv; redirections written in them are taken out and applied by us, never by a shell:
/// `>file` and `1>file` (stdout), `2>file` (stderr), and the same with the file as the next
/// argument (`1 > file`, `> file`). An argument with `>` in any other place (`a>b`) is passed as
/// written (SRS splits it and drops the `>`).
public enum ExecArguments {
    /// The command of one `publish` directive: `args[0]` is the program. `render` turns each
    /// argument's template into its value (variables of the stream, the time). Output that is
    /// not redirected goes to `defaultLog` (nil: `/dev/null`).
    public static func command(_ args: [String], defaultLog: String?, render: (String) -> String) -> ChildCommand? {
        guard let first = args.first, !first.isEmpty else { return nil }
        var argv: [String] = []
        var stdout: String?
        var stderr: String?
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            guard let gt = a.firstIndex(of: ">"), i > 1 else {
                // `1 > file`, `2 > file`: a lone fd number followed by `>`.
                if (a == "1" || a == "2"), i < args.count, args[i].hasPrefix(">") {
                    var target = String(args[i].dropFirst())
                    i += 1
                    if target.isEmpty, i < args.count {
                        target = args[i]
                        i += 1
                    }
                    if a == "1" { stdout = render(target) } else { stderr = render(target) }
                    continue
                }
                argv.append(render(a))
                continue
            }
            let fd = a[..<gt]
            guard fd.isEmpty || fd == "1" || fd == "2" else {
                argv.append(render(a))
                continue
            }
            var target = String(a[a.index(after: gt)...])
            if target.isEmpty, i < args.count {
                target = args[i]
                i += 1
            }
            if fd == "2" { stderr = render(target) } else { stdout = render(target) }
        }
        // As SRS: the program as written, argv[0] rendered.
        let program = first
        return ChildCommand(program: program, arguments: argv, stdoutPath: stdout ?? defaultLog,
                            stderrPath: stderr ?? defaultLog)
    }
}
