package lambda

import (
	"errors"
	"fmt"
	"strings"
)

// ParseFunctionFlag splits the value of --function, NAME=COMMAND ARGS...,
// into the function's name and the command's argv. The command is split
// into words the way a POSIX shell splits a simple command: whitespace
// separates words, single quotes keep everything literally, double quotes
// keep everything but \", \\, \$ and \`, and a backslash outside quotes
// escapes the next character. Nothing is expanded: no variables, globs or
// operators (wrap the command in sh -c '...' for those).
func ParseFunctionFlag(s string) (name string, argv []string, err error) {
	name, command, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, errors.New("want NAME=COMMAND ARGS...")
	}
	if err := validName(name); err != nil {
		return "", nil, err
	}
	argv, err = splitWords(command)
	if err != nil {
		return "", nil, fmt.Errorf("function %s: %w", name, err)
	}
	if len(argv) == 0 {
		return "", nil, fmt.Errorf("function %s: no command given", name)
	}
	return name, argv, nil
}

// splitWords splits a command line into words; see ParseFunctionFlag.
func splitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("command ends with a lone backslash")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				w.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			w.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			n, err := doubleQuoted(s[i+1:], &w)
			if err != nil {
				return nil, err
			}
			i += n
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// doubleQuoted copies the inside of a double-quoted string to w and
// returns how many bytes of s it used, closing quote included.
func doubleQuoted(s string, w *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					w.WriteByte(s[i])
				}
				continue
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New("unterminated double quote")
}
