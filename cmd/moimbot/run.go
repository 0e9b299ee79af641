package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed while running
	exitUsage = 2 // bad subcommand, flag or input

	exitInterrupted = 130 // stopped by SIGINT or SIGTERM before it finished (128 + SIGINT)
)

// env carries what a subcommand may use from the process: arguments, the
// environment and the standard streams. Tests build one by hand.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	cmds := []command{
		{"demo", "run moimbot end to end on the embedded KFTC simulator", runDemo},
		{"serve", "run the bot: the chat adapters, polling, reminders and the link pages, until Ctrl-C", runServe},
		{"reconcile", "match a group's bank transactions to members and months, offline", runReconcile},
		{"import", "store the rows of the bank's statement files (Excel, CSV) for a group", runImport},
	}
	cmds = append(cmds, storeCommands()...)
	return append(cmds,
		command{"testbed", "serve the KFTC Open Banking testbed simulator on a loopback address", runTestbed},
		command{"healthcheck", "ask a running moimbot's /healthz: exit 0 when healthy, 1 otherwise", runHealthcheck},
		command{"version", "print the version", runVersion},
		command{"help", "list the subcommands", nil},
	)
}

// usageError is a mistake in how the command was called; it exits with
// exitUsage and a one-line message.
type usageError struct{ msg string }

// Error implements error.
func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole program with nothing on standard input, as tests call
// it; see runWith.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, env{getenv: getenv, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr})
}

// runWith is the whole program: main only adds the signal context, the
// process's environment and streams, and os.Exit.
func runWith(ctx context.Context, args []string, e env) int {
	stdout, stderr := e.stdout, e.stderr
	if len(args) == 0 {
		printHelp(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name || c.run == nil {
			continue
		}
		err := c.run(ctx, e, rest)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			// Ctrl-C or SIGTERM while the command was working: the
			// cancellation, not a failure, explains the error.
			fmt.Fprintf(stderr, "moimbot %s: interrupted\n", name)
			return exitInterrupted
		case isUsage(err):
			fmt.Fprintf(stderr, "moimbot %s: %v\n", name, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "moimbot %s: %v\n", name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "moimbot: unknown command %q (run \"moimbot help\")\n", name)
	return exitUsage
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "moimbot tracks who has paid the dues of a group account (모임통장).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: moimbot <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"moimbot <command> -h\" for a command's flags.")
}

// newFlagSet returns a flag set whose errors come back as usage errors instead
// of printing and exiting, and whose -h output goes to stdout.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("moimbot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args and turns any problem into a one-line usage error.
// -h prints the flags to stdout and returns flag.ErrHelp.
func parseFlags(e env, fs *flag.FlagSet, args []string) error {
	return parseFlagsArgs(e, fs, args, "")
}

// parseFlagsArgs is parseFlags for a command that takes arguments after
// its flags, named operands in its usage line ("FILE..."); with operands
// "" it takes none.
func parseFlagsArgs(e env, fs *flag.FlagSet, args []string, operands string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		usage := "Usage: " + fs.Name() + " [flags]"
		if operands != "" {
			usage += " " + operands
		}
		fmt.Fprintln(e.stdout, usage)
		for _, c := range commands() {
			if "moimbot "+c.name == fs.Name() {
				fmt.Fprintf(e.stdout, "\n%s%s.\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
			}
		}
		fmt.Fprintln(e.stdout, "\nFlags:")
		fs.PrintDefaults()
		return flag.ErrHelp
	case err != nil:
		return usagef("%s", firstLine(err.Error()))
	case fs.NArg() > 0 && operands == "":
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func runVersion(_ context.Context, e env, args []string) error {
	fs := newFlagSet("version")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "moimbot", versionString())
	return nil
}

// versionString is the stamped version, else the module version the binary was
// built from, else "dev".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
