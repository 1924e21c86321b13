package main

// Hash profiles pipecheck/1 and msbuild (docs/spec.md HASH-1..31). Go's net has nothing of this:
// it is agent code, written from the spec with crypto/sha256 and encoding/base32|base64.

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

const int32Max = 2147483647

var (
	kindRule   = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	digitsRule = regexp.MustCompile(`^[0-9]+$`)
	int32Rule  = regexp.MustCompile(`^-?[0-9]+$`)
	userRule   = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
)

type handshake struct {
	profile string // "pipecheck" or "msbuild"
	key     string
	hash    string
	prefix  string // the profile's default prefix
}

// ownArch is the agent process's architecture in the spec's words (HASH-4).
func ownArch() (string, error) {
	switch runtime.GOARCH {
	case "amd64":
		return "x64", nil
	case "386":
		return "x86", nil
	case "arm":
		return "arm", nil
	case "arm64":
		return "arm64", nil
	}
	return "", internal("architecture %q has no name in HASH-4", runtime.GOARCH)
}

// decimalAtMost says whether an ASCII digit string is at most limit (any number of leading zeros).
func decimalAtMost(digits string, limit uint64) bool {
	significant := strings.TrimLeft(digits, "0")
	if significant == "" {
		return true
	}
	value, err := strconv.ParseUint(significant, 10, 64)
	return err == nil && value <= limit
}

func canonicalVersion(value string) ([4]int64, error) {
	var parts [4]int64
	pieces := strings.Split(value, ".")
	if len(pieces) > 4 {
		return parts, invalidArgument("version", fmt.Sprintf("'%s' has %d parts; HASH-3 allows 1 to 4", value, len(pieces)))
	}
	for i, piece := range pieces {
		if !digitsRule.MatchString(piece) {
			return parts, invalidArgument("version", fmt.Sprintf("'%s' has part '%s'; HASH-3 expects ASCII decimal digits in every dot-separated part (no empty parts, signs or spaces)", value, piece))
		}
		if !decimalAtMost(piece, int32Max) {
			return parts, invalidArgument("version", fmt.Sprintf("'%s' has part '%s' over 2147483647 (HASH-3)", value, piece))
		}
		n, _ := strconv.ParseInt(strings.TrimLeft(piece, "0")+"0", 10, 64)
		parts[i] = n / 10
	}
	return parts, nil
}

func parseInt32(field, value string) (int64, error) {
	if !int32Rule.MatchString(value) {
		return 0, invalidArgument(field, fmt.Sprintf("'%s' is not a signed 32-bit integer: HASH-20 expects an optional '-' followed by ASCII digits", value))
	}
	negative := strings.HasPrefix(value, "-")
	digits := strings.TrimPrefix(value, "-")
	limit := uint64(int32Max)
	if negative {
		limit++
	}
	if !decimalAtMost(digits, limit) {
		return 0, invalidArgument(field, fmt.Sprintf("'%s' is outside the signed 32-bit range (HASH-20)", value))
	}
	n, _ := strconv.ParseInt(strings.TrimLeft(digits, "0")+"0", 10, 64)
	n /= 10
	if negative {
		n = -n
	}
	return n, nil
}

func checkFieldNames(fields map[string]string, required, optional []string, profile string) error {
	known := append(append([]string{}, required...), optional...)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !contains(known, name) {
			return invalidArgument(name, fmt.Sprintf("unknown field for profile %s; expected %s", profile, strings.Join(known, ", ")))
		}
	}
	for _, name := range required {
		if _, ok := fields[name]; !ok {
			return invalidArgument(name, "missing field required by profile "+profile)
		}
	}
	return nil
}

func hashPipecheck(fields map[string]string) (handshake, error) {
	if err := checkFieldNames(fields, []string{"kind", "version", "arch", "salt"}, []string{"user"}, "pipecheck/1"); err != nil {
		return handshake{}, err
	}
	kind := fields["kind"]
	if !kindRule.MatchString(kind) {
		return handshake{}, invalidArgument("kind", fmt.Sprintf("'%s' must be 1-32 characters of [a-z0-9-] (HASH-2)", kind))
	}
	v, err := canonicalVersion(fields["version"])
	if err != nil {
		return handshake{}, err
	}
	arch := fields["arch"]
	switch arch {
	case "*":
		if arch, err = ownArch(); err != nil {
			return handshake{}, err
		}
	case "x86", "x64", "arm", "arm64":
	default:
		return handshake{}, invalidArgument("arch", fmt.Sprintf("'%s' must be one of x86, x64, arm, arm64 or * (HASH-4)", arch))
	}
	salt := fields["salt"]
	if strings.ContainsAny(salt, "\n\x00") {
		return handshake{}, invalidArgument("salt", "must not contain a newline or NUL (HASH-5)")
	}
	user, given := fields["user"]
	if !given {
		user = strconv.Itoa(os.Geteuid())
	}
	if !userRule.MatchString(user) || !decimalAtMost(user, 0xFFFFFFFF) {
		return handshake{}, invalidArgument("user", fmt.Sprintf("'%s' must be an effective uid in decimal without sign or leading zero (HASH-6)", user))
	}
	key := fmt.Sprintf("pipecheck/1\nkind=%s\nversion=%d.%d.%d.%d\narch=%s\nsalt=%s\nuser=%s\n", kind, v[0], v[1], v[2], v[3], arch, salt, user)
	digest := sha256.Sum256([]byte(key))
	encoded := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(digest[:]))
	return handshake{profile: "pipecheck", key: key, hash: encoded[:32], prefix: "pipecheck"}, nil
}

func hashMsbuild(fields map[string]string) (handshake, error) {
	if err := checkFieldNames(fields, []string{"options", "salt", "version"}, []string{"session"}, "msbuild"); err != nil {
		return handshake{}, err
	}
	options, err := parseInt32("options", fields["options"])
	if err != nil {
		return handshake{}, err
	}
	salt, err := parseInt32("salt", fields["salt"])
	if err != nil {
		return handshake{}, err
	}
	v, err := canonicalVersion(fields["version"])
	if err != nil {
		return handshake{}, err
	}
	session := int64(0)
	if text, ok := fields["session"]; ok {
		if session, err = parseInt32("session", text); err != nil {
			return handshake{}, err
		}
	}
	key := fmt.Sprintf("%d %d %d %d %d %d %d", options, salt, v[0], v[1], v[2], v[3], session)
	digest := sha256.Sum256([]byte(key))
	encoded := strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(digest[:]), "/", "_")
	return handshake{profile: "msbuild", key: key, hash: encoded, prefix: "MSBuild"}, nil
}

// makeHandshake reads `profile` (default pipecheck) and `fields` and computes the hash.
func makeHandshake(a args) (handshake, error) {
	profile, present, err := a.str("profile")
	if err != nil {
		return handshake{}, err
	}
	if !present {
		profile = "pipecheck"
	}
	raw, present, err := a.object("fields")
	if err != nil {
		return handshake{}, err
	}
	if !present {
		return handshake{}, invalidArgument("fields", "missing: the handshake needs an object of strings")
	}
	fields := map[string]string{}
	for name, value := range raw {
		text, valid, ok := jsonString(value)
		if !ok {
			return handshake{}, invalidArgument(name, "must be a string")
		}
		if !valid {
			return handshake{}, invalidArgument(name, "is not valid UTF-8 (HASH-5)")
		}
		fields[name] = text
	}
	switch profile {
	case "pipecheck", "pipecheck/1":
		return hashPipecheck(fields)
	case "msbuild":
		return hashMsbuild(fields)
	}
	return handshake{}, invalidArgument("profile", fmt.Sprintf("unknown profile '%s'; expected pipecheck or msbuild (HASH-30)", profile))
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}
