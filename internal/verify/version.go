package verify

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"io"
	"strings"
)

// versionVariable is the variable that the build sets with -X to the manifest's version.
const versionVariable = "main.version"

// maxVersionLength bounds a version string read from a binary.
const maxVersionLength = 256

// builtVersion returns the value of main.version that the binary was built with and where
// it was read. It tries, in order:
//   - the -ldflags build setting, which Go records unless the build used -trimpath;
//   - the main.version symbol, which exists unless the binary was linked with -s;
//   - a Go string variable in the writable data holding want, for binaries built with both
//     -trimpath and -s, which keep neither of the above.
//
// NOTE: the last way cannot tell main.version from another variable with the same text.
// It cannot read a different value either, so found is false when no variable holds want.
func builtVersion(ef *elf.File, r io.ReaderAt, want string) (value, source string, found bool) {
	if info, err := buildinfo.Read(r); err == nil {
		for _, setting := range info.Settings {
			if setting.Key != "-ldflags" {
				continue
			}
			if value, ok := linkerStringFlag(setting.Value, versionVariable); ok {
				return value, "the -ldflags build setting", true
			}
		}
	}

	if value, err := symbolString(ef, versionVariable); err == nil {
		return value, "the " + versionVariable + " symbol", true
	}

	if dataHoldsString(ef, want) {
		return want, "a string variable in the data section (the binary records neither -ldflags nor symbols, so the variable's name cannot be read)", true
	}

	return "", "", false
}

// linkerStringFlag returns the value that the linker flags set with "-X name=value". When
// the flag repeats, the last one wins, as in the linker.
func linkerStringFlag(ldflags, name string) (string, bool) {
	fields := splitQuoted(ldflags)
	value, found := "", false

	for i := 0; i < len(fields); i++ {
		field := fields[i]
		var assignment string
		switch {
		case field == "-X" || field == "--X":
			if i+1 == len(fields) {
				continue
			}
			i++
			assignment = fields[i]
		case strings.HasPrefix(field, "-X="):
			assignment = strings.TrimPrefix(field, "-X=")
		case strings.HasPrefix(field, "--X="):
			assignment = strings.TrimPrefix(field, "--X=")
		default:
			continue
		}

		if v, ok := strings.CutPrefix(assignment, name+"="); ok {
			value, found = v, true
		}
	}

	return value, found
}

// splitQuoted splits s at spaces, keeping text in single or double quotes together, the
// way the go command splits -ldflags.
func splitQuoted(s string) []string {
	var fields []string
	var field strings.Builder
	inField := false
	var quote rune

	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			field.WriteRune(r)
		case r == '\'' || r == '"':
			quote = r
			inField = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inField {
				fields = append(fields, field.String())
				field.Reset()
				inField = false
			}
		default:
			field.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, field.String())
	}

	return fields
}

// symbolString reads the Go string variable that the symbol name points to.
func symbolString(ef *elf.File, name string) (string, error) {
	symbols, err := ef.Symbols()
	if err != nil {
		return "", err
	}

	for _, symbol := range symbols {
		if symbol.Name != name {
			continue
		}

		header := make([]byte, 2*pointerSize(ef))
		if err := readVirtual(ef, symbol.Value, header); err != nil {
			return "", err
		}
		data, length := decodeStringHeader(ef, header)
		if length > maxVersionLength {
			return "", errors.New("the string is too long for a version")
		}

		value := make([]byte, length)
		if err := readVirtual(ef, data, value); err != nil {
			return "", err
		}
		return string(value), nil
	}

	return "", errors.New("no such symbol")
}

// dataHoldsString reports whether a writable data section of the binary holds a Go string
// header, a pointer and a length, that points to exactly the bytes of want.
func dataHoldsString(ef *elf.File, want string) bool {
	size := pointerSize(ef)
	value := make([]byte, len(want))

	for _, section := range ef.Sections {
		if section.Type != elf.SHT_PROGBITS || section.Flags&elf.SHF_WRITE == 0 || section.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		data, err := section.Data()
		if err != nil {
			continue
		}

		for offset := 0; offset+2*size <= len(data); offset += size {
			pointer, length := decodeStringHeader(ef, data[offset:offset+2*size])
			if length != uint64(len(want)) {
				continue
			}
			if readVirtual(ef, pointer, value) == nil && string(value) == want {
				return true
			}
		}
	}

	return false
}

func pointerSize(ef *elf.File) int {
	if ef.Class == elf.ELFCLASS32 {
		return 4
	}

	return 8
}

// decodeStringHeader decodes a Go string header: the data pointer and the length.
func decodeStringHeader(ef *elf.File, header []byte) (pointer, length uint64) {
	if pointerSize(ef) == 4 {
		return uint64(ef.ByteOrder.Uint32(header)), uint64(ef.ByteOrder.Uint32(header[4:]))
	}

	return ef.ByteOrder.Uint64(header), ef.ByteOrder.Uint64(header[8:])
}

// readVirtual fills buf from the loaded file content at the virtual address addr.
func readVirtual(ef *elf.File, addr uint64, buf []byte) error {
	end := addr + uint64(len(buf))
	for _, prog := range ef.Progs {
		if prog.Type != elf.PT_LOAD || addr < prog.Vaddr || end > prog.Vaddr+prog.Filesz || end < addr {
			continue
		}

		_, err := prog.ReadAt(buf, int64(addr-prog.Vaddr))
		return err
	}

	return errors.New("the address is outside the loaded segments")
}
