// Package verifycmd implements `spacelift-operator verify-run`, which checks
// outside OPA what the signed-runs policy samples check inside it: that a
// run carries a run token (a compact JWS, see package runmeta) signed by the
// operator and bound to the run. CI jobs and workers whose launcher predates
// EdDSA support in OPA run it on a policy input (--input) or on one token
// (--metadata), with the operator's published keys as PEM files or as the
// JSON Web Key Set jwks.json.
//
// Exit codes: 0 verified, 1 rejected, 2 usage error (bad flags, unreadable
// key or input file).
package verifycmd

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// Exit codes returned by Run.
const (
	ExitVerified = 0
	ExitRejected = 1
	ExitUsage    = 2
)

// maxInputBytes bounds the policy input read by --input.
const maxInputBytes = 32 << 20

// errUsage marks errors that make Run exit with ExitUsage.
var errUsage = errors.New("usage error")

// Run executes verify-run with args (without the subcommand name), reading a
// policy input from stdin when --input is "-", writing the verdict to stdout
// and diagnostics to stderr. It returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdin, stdout, stderr, time.Now)
}

// config is the parsed command line.
type config struct {
	keys     runmeta.KeySet
	input    string // file name, "-" for stdin; empty with --metadata
	metadata string
	hasMeta  bool
	maxAge   time.Duration
	source   string
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitVerified
	}
	if err != nil {
		fmt.Fprintf(stderr, "verify-run: %v\n", err)
		return ExitUsage
	}

	var v verdict
	if cfg.hasMeta {
		v = verifyMetadata(cfg, cfg.metadata, now())
	} else {
		raw, err := readInput(cfg.input, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "verify-run: %v\n", err)
			return ExitUsage
		}
		v = verifyPolicyInput(cfg, raw, now())
	}
	for _, note := range v.notes {
		fmt.Fprintf(stderr, "verify-run: %s\n", note)
	}
	if v.err != nil {
		fmt.Fprintf(stderr, "verify-run: rejected: %v\n", v.err)
		return ExitRejected
	}
	fmt.Fprintln(stdout, v.message)
	return ExitVerified
}

// parseFlags parses and checks the command line, loading the public keys.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("verify-run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keyFiles, keyDirs stringList
	var cfg config
	fs.Var(&keyFiles, "public-key", "`file` with trusted ed25519 public keys: PEM blocks or a JSON Web Key Set such as jwks.json (repeatable)")
	fs.Var(&keyDirs, "public-key-dir", "`directory` whose non-hidden files are PEM or JWKS public keys, e.g. the mounted public key ConfigMap (repeatable)")
	fs.StringVar(&cfg.input, "input", "", "approval or initialization policy input JSON `file` (server- or worker-side), or - for stdin")
	fs.Func("metadata", "one run token `string` to verify at the current time instead of --input", func(s string) error {
		cfg.metadata, cfg.hasMeta = s, true
		return nil
	})
	fs.DurationVar(&cfg.maxAge, "max-age", time.Hour, "maximum age of the trigger token at the run's creation (with --input) or now (with --metadata)")
	fs.StringVar(&cfg.source, "source", runmeta.Issuer, "expected issuer (\"iss\" claim) of the run tokens")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: spacelift-operator verify-run (--public-key FILE | --public-key-dir DIR)... (--input FILE|- | --metadata TOKEN) [--max-age 1h] [--source spacelift-operator]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case cfg.input == "" && !cfg.hasMeta:
		return nil, fmt.Errorf("%w: one of --input or --metadata is required", errUsage)
	case cfg.input != "" && cfg.hasMeta:
		return nil, fmt.Errorf("%w: --input and --metadata are mutually exclusive", errUsage)
	case cfg.maxAge <= 0:
		return nil, fmt.Errorf("%w: --max-age must be positive, got %s", errUsage, cfg.maxAge)
	case cfg.source == "":
		return nil, fmt.Errorf("%w: --source must not be empty", errUsage)
	case len(keyFiles) == 0 && len(keyDirs) == 0:
		return nil, fmt.Errorf("%w: at least one --public-key or --public-key-dir is required", errUsage)
	}
	keys, err := loadKeys(keyFiles, keyDirs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	cfg.keys = keys
	return &cfg, nil
}

// loadKeys reads every public key from files and from the non-hidden entries
// of dirs (hidden entries such as a ConfigMap mount's ..data are skipped).
func loadKeys(files, dirs []string) (runmeta.KeySet, error) {
	paths := append([]string(nil), files...)
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return runmeta.KeySet{}, fmt.Errorf("reading public key directory: %w", err)
		}
		found := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			info, err := os.Stat(p) // follows the symlinks of ConfigMap mounts
			if err != nil {
				return runmeta.KeySet{}, fmt.Errorf("reading public key file: %w", err)
			}
			if info.IsDir() {
				continue
			}
			paths = append(paths, p)
			found++
		}
		if found == 0 {
			return runmeta.KeySet{}, fmt.Errorf("public key directory %q holds no key files", dir)
		}
	}
	var all []ed25519.PublicKey
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return runmeta.KeySet{}, fmt.Errorf("reading public key file: %w", err)
		}
		keys, err := runmeta.ParsePublicKeys(data)
		if err != nil {
			return runmeta.KeySet{}, fmt.Errorf("loading %q: %w", p, err)
		}
		all = append(all, keys...)
	}
	ks, err := runmeta.NewKeySet(all...)
	if err != nil {
		return runmeta.KeySet{}, fmt.Errorf("loading public keys: %w", err)
	}
	return ks, nil
}

// readInput reads the policy input from name, or from stdin when name is "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading policy input: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading policy input %q: %w", name, err)
	}
	if len(data) > maxInputBytes {
		return nil, fmt.Errorf("reading policy input %q: larger than %d bytes", name, maxInputBytes)
	}
	return data, nil
}
