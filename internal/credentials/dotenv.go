package credentials

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadDotenv parses a .env file: KEY=VALUE lines, with optional "export " prefixes, blank
// lines and # comments. Values may be single-quoted (taken literally) or double-quoted
// (with Go escapes such as \n).
func ReadDotenv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}

	values := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for number := 1; scanner.Scan(); number++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%s line %d: expected KEY=VALUE", path, number)
		}
		value, err := unquote(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: invalid value of %s: %w", path, number, key, err)
		}
		values[key] = value
	}
	return values, scanner.Err()
}

func unquote(value string) (string, error) {
	switch {
	case len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'':
		return value[1 : len(value)-1], nil
	case len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"':
		return strconv.Unquote(value)
	case strings.HasPrefix(value, "'") || strings.HasPrefix(value, `"`):
		return "", fmt.Errorf("unterminated quote")
	}
	// An unquoted value ends at a comment that follows a space.
	if at := strings.Index(value, " #"); at >= 0 {
		value = strings.TrimSpace(value[:at])
	}
	return value, nil
}

// WriteDotenv sets keys in the .env file at path, keeping its other lines, and leaves the
// file readable by its owner only (mode 0600), since it holds credentials. The file is
// replaced atomically.
func WriteDotenv(path string, set map[string]string, order []string) error {
	var kept []string
	if data, err := os.ReadFile(path); err == nil {
		for line := range strings.Lines(string(data)) {
			key, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
			if _, replaced := set[strings.TrimSpace(key)]; !replaced {
				kept = append(kept, strings.TrimRight(line, "\n"))
			}
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	for _, key := range order {
		kept = append(kept, key+"="+strconv.Quote(set[key]))
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), ".env.*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.WriteString(strings.Join(kept, "\n") + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
