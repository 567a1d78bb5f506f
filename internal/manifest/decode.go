package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// parse decodes data in three steps. It checks the JSON type of every known field against
// manifestFields, decodes only the well-typed known fields into a Manifest and then applies the rules of Validate.
// Decoding the raw document straight into the struct would stop at the first wrong type.
// It would also match keys case-insensitively, unlike the platform.
func parse(path string, data []byte) (*Manifest, error) {
	document, err := decodeObject(displayName(path), data)
	if err != nil {
		return nil, err
	}

	var check typeCheck
	typed := check.object("", document, manifestFields(), otherManifestFields())
	check.renamedFields(document)

	manifest, err := decodeManifest(typed)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", displayName(path), err)
	}

	violations := check.merge(manifest.violations())
	if len(violations) == 0 {
		return manifest, nil
	}

	return manifest, &ValidationError{Path: path, Violations: violations}
}

// decodeObject decodes data into a generic JSON object, keeping numbers as json.Number.
// It rejects empty input, invalid JSON, a top-level value other than an object and data after the object.
func decodeObject(name string, data []byte) (map[string]any, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()

	var document any
	if err := decoder.Decode(&document); err != nil {
		return nil, syntaxError(name, data, err)
	}

	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is invalid: unexpected data after the JSON object at byte %d; fix: keep exactly one JSON object in the file",
			name, decoder.InputOffset())
	}

	object, ok := document.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is invalid: the top-level value must be a JSON object, found %s; fix: put the manifest fields in one object {...}",
			name, describeJSON(document))
	}

	return object, nil
}

func syntaxError(name string, data []byte, err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s is empty; fix: write the manifest as a JSON object", name)
	}

	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s is not valid JSON: the data ends inside a value; fix: close every string, array and object", name)
	}

	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, column := position(data, syntax.Offset)
		return fmt.Errorf("%s is not valid JSON at line %d, column %d: %w", name, line, column, err)
	}

	return fmt.Errorf("%s is not valid JSON: %w", name, err)
}

// position converts a byte offset from json.SyntaxError into a 1-based line and column.
func position(data []byte, offset int64) (line, column int) {
	end := min(int(offset), len(data))
	before := data[:end]
	lineStart := bytes.LastIndexByte(before, '\n') + 1

	return bytes.Count(before, []byte("\n")) + 1, end - lineStart
}

// decodeManifest decodes the type-checked document into a Manifest.
// An error means that manifestFields and the json tags of Manifest expect different types for a field.
func decodeManifest(document map[string]any) (*Manifest, error) {
	data, err := json.Marshal(document)
	if err != nil {
		return nil, err
	}

	var manifest Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, err
	}

	return &manifest, nil
}
