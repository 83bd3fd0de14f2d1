import ArgumentParser

/// `--json`: the command's result as JSON on standard output, for scripts and reports; the
/// human-readable lines go to standard error or are left out, so the output stays parseable.
struct JSONOutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on standard output.")
    var json = false
}
