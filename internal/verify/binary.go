package verify

import (
	"archive/tar"
	"archive/zip"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"hello-microservice/internal/manifest"
)

// defaultPath is the PATH that container runtimes use when the image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// checkEntrypoint runs the "entrypoint" check on the merged layers, then copies the
// program out of its layer and runs the binary checks on it.
func (a *archiveRun) checkEntrypoint(ctx context.Context, imageFile *zip.File, scan *imageScan, entry *saveManifestEntry, config *imageConfig, fs *rootfs, m *manifest.Manifest) error {
	argv := append(append([]string{}, config.Config.Entrypoint...), config.Config.Cmd...)
	if len(argv) == 0 || argv[0] == "" {
		a.report.Fail(CheckEntrypoint, "the image config sets neither Entrypoint nor Cmd, so the container has no program to start; fix: set the entrypoint to the service binary (ko sets /ko-app/<name>)")
		a.block(CheckEntrypoint)
		return nil
	}

	program, ref, problem := findProgram(fs, argv[0], config, "the entrypoint")
	if problem != "" {
		a.report.Fail(CheckEntrypoint, "%s; fix: put the service binary at the entrypoint's path with mode 0755, and check that no later layer deletes it", problem)
		a.block(CheckEntrypoint)
		return nil
	}
	a.report.Pass(CheckEntrypoint, "%s: regular file, mode %04o, %s, layer %d", program, ref.entry.mode&0o7777, megabytes(ref.entry.size), ref.layer+1)

	layerFile := scan.files[entry.Layers[ref.layer]]
	binary, err := extractLayerFile(ctx, imageFile, layerFile.ordinal, ref.entry.ordinal)
	if err != nil {
		return fmt.Errorf("copying %s out of %s: %w", program, entry.Layers[ref.layer], err)
	}
	defer os.Remove(binary.Name())
	defer binary.Close()

	a.checkBinary(program, binary, m)
	return nil
}

// findProgram locates a program the container runs, the way a runtime does: a name
// without a slash is looked up in the image's PATH, and a relative path starts at the
// working folder. It returns the resolved path and its file, or a problem that starts
// with role, such as "the entrypoint".
func findProgram(fs *rootfs, program string, config *imageConfig, role string) (string, fileRef, string) {
	var candidates []string
	switch {
	case path.IsAbs(program):
		candidates = []string{program}
	case strings.Contains(program, "/"):
		candidates = []string{path.Join("/", config.Config.WorkingDir, program)}
	default:
		for dir := range strings.SplitSeq(imagePath(config.Config.Env), ":") {
			if dir != "" {
				candidates = append(candidates, path.Join("/", dir, program))
			}
		}
	}

	problem := fmt.Sprintf("%s %q is not in the image's PATH", role, program)
	for _, candidate := range candidates {
		resolved, ref, err := fs.resolve(candidate)
		if err != nil {
			problem = fmt.Sprintf("%s %q cannot be found: %v", role, program, err)
			continue
		}

		switch {
		case ref.entry.typeflag == tar.TypeLink:
			problem = fmt.Sprintf("%s %s is a hard link to %s, which no layer below holds", role, resolved, ref.entry.linkname)
		case ref.entry.typeflag != tar.TypeReg && ref.entry.typeflag != tar.TypeRegA:
			problem = fmt.Sprintf("%s %s is a %s, not a regular file", role, resolved, typeName(ref.entry.typeflag))
		case ref.entry.mode&0o111 == 0:
			problem = fmt.Sprintf("%s %s is not executable (mode %04o)", role, resolved, ref.entry.mode&0o7777)
		default:
			return resolved, ref, ""
		}
	}

	return "", fileRef{}, problem
}

// imagePath returns the PATH of the image's environment, or the runtimes' default.
func imagePath(env []string) string {
	value := defaultPath
	for _, variable := range env {
		if after, ok := strings.CutPrefix(variable, "PATH="); ok {
			value = after
		}
	}

	return value
}

func typeName(typeflag byte) string {
	switch typeflag {
	case tar.TypeDir:
		return "folder"
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "named pipe"
	default:
		return fmt.Sprintf("tar entry of type %q", typeflag)
	}
}

// extractLayerFile copies one file of one layer of image.tar into a temporary file, found
// by the positions that scanImage and indexLayer recorded. The caller closes and removes it.
func extractLayerFile(ctx context.Context, imageFile *zip.File, layerOrdinal, entryOrdinal int) (*os.File, error) {
	rc, err := imageFile.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	layer, err := seekTarEntry(ctx, tar.NewReader(rc), layerOrdinal)
	if err != nil {
		return nil, err
	}
	content, err := seekTarEntry(ctx, tar.NewReader(layer), entryOrdinal)
	if err != nil {
		return nil, err
	}

	tmp, err := os.CreateTemp("", "verify-entrypoint-*")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(tmp, contextReader{ctx: ctx, r: content}); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}

	return tmp, nil
}

// seekTarEntry advances tr to the entry at position ordinal and returns its content.
func seekTarEntry(ctx context.Context, tr *tar.Reader, ordinal int) (io.Reader, error) {
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}

		if _, err := tr.Next(); err != nil {
			return nil, fmt.Errorf("reading entry %d: %w", i+1, err)
		}
		if i == ordinal {
			return tr, nil
		}
	}
}

// contextReader stops reading once ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}

	return c.r.Read(p)
}

// checkBinary runs the checks on the entrypoint's content: an x86-64 ELF executable,
// statically linked, built for the manifest's version.
func (a *archiveRun) checkBinary(program string, binary *os.File, m *manifest.Manifest) {
	ef, err := elf.NewFile(binary)
	if err != nil {
		a.report.Fail(CheckBinaryArch, "the entrypoint %s is not an ELF executable (%v); fix: make the entrypoint the service's Go binary, built with GOOS=linux GOARCH=amd64", program, err)
		a.block(CheckBinaryArch)
		return
	}

	a.checkArchitecture(program, ef)
	a.checkStatic(program, ef)

	if m == nil || m.Version == "" {
		a.report.Skip(CheckBinaryVersion, "not checked because %s has no valid version (see %q)", ManifestEntry, CheckManifest)
		return
	}
	a.checkVersion(program, ef, binary, m.Version)
}

// checkArchitecture runs the "binary architecture" check: a 64-bit x86-64 ELF.
func (a *archiveRun) checkArchitecture(program string, ef *elf.File) {
	if ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_X86_64 {
		a.report.Fail(CheckBinaryArch, "the entrypoint %s is a %s ELF for %s, but the platform runs x86-64 (amd64) only; fix: build with GOOS=linux GOARCH=amd64",
			program, classBits(ef.Class), ef.Machine)
		return
	}

	a.report.Pass(CheckBinaryArch, "64-bit ELF for %s", ef.Machine)
}

func classBits(class elf.Class) string {
	switch class {
	case elf.ELFCLASS32:
		return "32-bit"
	case elf.ELFCLASS64:
		return "64-bit"
	default:
		return class.String()
	}
}

// checkStatic runs the "static binary" check: no program interpreter and no shared
// libraries, because the image holds no dynamic loader or C library.
func (a *archiveRun) checkStatic(program string, ef *elf.File) {
	var reasons []string
	for _, prog := range ef.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}

		interpreter, err := io.ReadAll(io.LimitReader(prog.Open(), 4096))
		if err != nil {
			reasons = append(reasons, "it requests a program interpreter")
			continue
		}
		reasons = append(reasons, fmt.Sprintf("it requests the program interpreter %s", strings.TrimRight(string(interpreter), "\x00")))
	}

	libraries, err := ef.ImportedLibraries()
	if err != nil {
		reasons = append(reasons, fmt.Sprintf("its dynamic section cannot be read: %v", err))
	}
	if len(libraries) > 0 {
		reasons = append(reasons, fmt.Sprintf("it needs the shared libraries %s", strings.Join(libraries, ", ")))
	}

	if len(reasons) > 0 {
		a.report.Fail(CheckBinaryStatic, "the entrypoint %s is dynamically linked: %s; fix: build with CGO_ENABLED=0 so that it runs without a C library",
			program, strings.Join(reasons, ", "))
		return
	}

	a.report.Pass(CheckBinaryStatic, "no program interpreter, no shared libraries")
}

// checkVersion runs the "binary version" check: main.version in the binary is the
// manifest's version.
func (a *archiveRun) checkVersion(program string, ef *elf.File, binary io.ReaderAt, want string) {
	built, source, found := builtVersion(ef, binary, want)
	fix := fmt.Sprintf(`fix: build with -ldflags "-X main.version=%s", as go tool task package does`, want)

	switch {
	case !found:
		a.report.Fail(CheckBinaryVersion, "cannot confirm the version: the entrypoint %s has no -ldflags build setting with -X main.version, no main.version symbol, and no string variable holding %q; %s",
			program, want, fix)
	case built != want:
		a.report.Fail(CheckBinaryVersion, "the entrypoint %s was built with main.version=%q (read from %s), but %s has version %q; %s",
			program, built, source, ManifestEntry, want, fix)
	default:
		a.report.Pass(CheckBinaryVersion, "main.version=%s, read from %s", built, source)
	}
}
