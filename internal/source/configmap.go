// Package source reads the atmos trees that AdminStacks expand: ConfigMaps
// mounted as directories, or a directory of a Git repository at a branch,
// tag or commit. Each read yields an Artifact: a read-only fs.FS and the
// revision it was read at.
//
// # What a Git source may reach
//
// The URL comes from a tenant's AdminStack (spec.source.git.url), so by
// default a Git reader (GitOptions) refuses, with a permanent error that
// names the field and the flag that would allow it:
//   - file:// URLs and local paths, which read the operator's own disk
//     (allowed by --allow-local-git-sources, for tests and the demo);
//   - Git remote helpers (ext::, fd::) and protocols other than http, https
//     and ssh, always;
//   - hosts that are, or resolve to, loopback, private, link-local, shared
//     (100.64.0.0/10) or unspecified addresses (allowed by
//     --allow-private-git-hosts, for a Git server inside the cluster). The
//     URL's host is checked before any request, and every HTTP(S)
//     connection is checked again when it is dialed (redirects, DNS answers
//     that changed), as is the address of an SSH server before its host
//     key is accepted. Configured HTTP(S) proxies are dialed as they are.
//
// A failed HTTP response is described by its status code only: its body is
// dropped unread, and an answer that is not the Git protocol (an HTML page)
// is reported as such without quoting it. Sizes are bounded per file
// (--git-max-file-bytes), for the files under the requested path
// (--git-max-checkout-bytes) and for what one fetch transfers over HTTP(S)
// (--git-max-fetch-bytes); the error names the path and the limit.
package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing/fstest"
)

// Artifact is a tree of files and the revision it was read at.
type Artifact struct {
	// FS holds the files; it is never modified after it is returned.
	FS fs.FS
	// Revision identifies the content: a Git commit SHA, or "sha256:<hex>"
	// over the names and data of the ConfigMap files.
	Revision string
}

// ConfigMapFiles are the keys of one ConfigMap placed as files in a directory.
type ConfigMapFiles struct {
	// Name of the ConfigMap, for messages.
	Name string
	// Path is the directory, relative to the tree root, the keys appear in.
	Path string
	// Data and BinaryData are the ConfigMap's keys.
	Data       map[string]string
	BinaryData map[string][]byte
}

// FromConfigMaps builds one tree out of ConfigMaps. Its revision depends only
// on the file names and contents, not on the ConfigMaps' names or order.
// Every error is a problem of the configuration: an invalid path, or two
// ConfigMaps placing the same file.
func FromConfigMaps(mounts []ConfigMapFiles) (Artifact, error) {
	files := fstest.MapFS{}
	owner := map[string]string{}
	dirs := map[string]string{}
	add := func(cm ConfigMapFiles, dir, key string, data []byte) error {
		if key == "" || key == "." || key == ".." || strings.Contains(key, "/") {
			return fmt.Errorf("ConfigMap %s: key %q cannot be a file name", cm.Name, key)
		}
		name := path.Join(dir, key)
		if prev, dup := owner[name]; dup {
			return fmt.Errorf("ConfigMaps %s and %s both place %s", prev, cm.Name, name)
		}
		if prev, isDir := dirs[name]; isDir {
			return fmt.Errorf("ConfigMap %s places the file %s where ConfigMap %s needs a directory", cm.Name, name, prev)
		}
		owner[name] = cm.Name
		files[name] = &fstest.MapFile{Data: data, Mode: 0o444}
		return nil
	}
	for _, cm := range mounts {
		dir, err := mountDir(cm.Path)
		if err != nil {
			return Artifact{}, fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
		}
		for d := dir; d != "."; d = path.Dir(d) {
			if prev, isFile := owner[d]; isFile {
				return Artifact{}, fmt.Errorf("ConfigMap %s is mounted at %s, which ConfigMap %s places as a file", cm.Name, dir, prev)
			}
			if _, seen := dirs[d]; !seen {
				dirs[d] = cm.Name
			}
		}
		for k, v := range cm.Data {
			if err := add(cm, dir, k, []byte(v)); err != nil {
				return Artifact{}, err
			}
		}
		for k, v := range cm.BinaryData {
			if err := add(cm, dir, k, v); err != nil {
				return Artifact{}, err
			}
		}
	}
	return Artifact{FS: files, Revision: digest(files)}, nil
}

// mountDir validates and cleans a mount path: relative, inside the tree.
func mountDir(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	if path.IsAbs(p) {
		return "", fmt.Errorf("path %q must be relative", p)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path %q leaves the tree", p)
	}
	return clean, nil
}

// digest is "sha256:" and the SHA-256 of the sorted file names and contents.
func digest(files fstest.MapFS) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n].Data))
		h.Write(files[n].Data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
