package main

// Request arguments: typed getters over the raw JSON of `args`, with errors that name the field.
// Strings are decoded by hand (jsonString) because encoding/json silently replaces invalid UTF-8
// and lone surrogates with U+FFFD, and HASH-5 requires such a salt to be refused.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

type args map[string]json.RawMessage

func parseArgs(raw json.RawMessage) (args, error) {
	a := args{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return a, nil
	}
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, badRequest("'args' must be a JSON object")
	}
	return a, nil
}

func (a args) has(name string) bool {
	raw, ok := a[name]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

func (a args) integer(name string, fallback, low, high int64) (int64, error) {
	if !a.has(name) {
		return fallback, nil
	}
	text := string(bytes.TrimSpace(a[name]))
	value, err := strconv.ParseInt(text, 10, 64)
	if err != nil || value < low || value > high {
		return 0, invalidArgument(name, fmt.Sprintf("%s must be an integer from %d to %d", text, low, high))
	}
	return value, nil
}

func (a args) boolean(name string, fallback bool) (bool, error) {
	if !a.has(name) {
		return fallback, nil
	}
	switch string(bytes.TrimSpace(a[name])) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidArgument(name, "must be true or false")
}

// str returns the string argument; present is false when it is absent or null.
func (a args) str(name string) (value string, present bool, err error) {
	if !a.has(name) {
		return "", false, nil
	}
	value, valid, ok := jsonString(a[name])
	if !ok {
		return "", true, invalidArgument(name, "must be a string")
	}
	if !valid {
		return "", true, invalidArgument(name, "is not valid UTF-8")
	}
	return value, true, nil
}

// object returns the raw members of an object argument.
func (a args) object(name string) (args, bool, error) {
	if !a.has(name) {
		return nil, false, nil
	}
	inner := args{}
	if err := json.Unmarshal(a[name], &inner); err != nil || inner == nil {
		return nil, true, invalidArgument(name, "must be an object")
	}
	return inner, true, nil
}

// jsonString decodes a JSON string literal byte for byte. ok is false when raw is not a string;
// valid is false when it carries invalid UTF-8 (raw bytes or unpaired surrogate escapes).
func jsonString(raw json.RawMessage) (value string, valid bool, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false, false
	}
	body := raw[1 : len(raw)-1]
	out := make([]byte, 0, len(body))
	valid = true
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(body) {
			return "", false, false
		}
		switch body[i] {
		case '"', '\\', '/':
			out = append(out, body[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			unit, good := hex4(body, i+1)
			if !good {
				return "", false, false
			}
			i += 4
			r := rune(unit)
			if utf16.IsSurrogate(r) {
				low, lowGood := rune(0), false
				if i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					if v, g := hex4(body, i+3); g {
						low, lowGood = rune(v), true
					}
				}
				decoded := utf16.DecodeRune(r, low)
				if !lowGood || decoded == utf8.RuneError {
					valid = false // an unpaired surrogate is not UTF-8 text
					continue
				}
				i += 6
				r = decoded
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false, false
		}
	}
	if !utf8.Valid(out) {
		valid = false
	}
	return string(out), valid, true
}

func hex4(b []byte, at int) (uint16, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return uint16(v), err == nil
}

// finite keeps JSON numbers encodable (no NaN or Inf).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}
