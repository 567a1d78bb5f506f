package c8y

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
)

// FileUpload is a file sent as the single part of a multipart/form-data body. The file is
// streamed from Open, so memory use does not grow with Size.
type FileUpload struct {
	Field       string // the form field, for example "file"
	FileName    string // the file name sent in the part's Content-Disposition
	ContentType string // the part's media type, for example "application/zip"

	// Size is the exact number of bytes Open's reader returns; the body's Content-Length
	// is computed from it. A reader that returns fewer or more bytes fails the upload.
	Size int64

	// Open opens the file. It is called once per attempt.
	Open func() (io.ReadCloser, error)
}

// multipartBody is the framing of a multipart/form-data body around one file part.
type multipartBody struct {
	contentType string // multipart/form-data with the boundary
	prefix      []byte // the boundary and the part's headers
	suffix      []byte // the closing boundary
}

// newMultipartBody computes the framing of f with a random boundary.
func newMultipartBody(f FileUpload) (*multipartBody, error) {
	var buf bytes.Buffer
	writer := multipart.NewWriter(&buf)
	if err := writer.SetBoundary("c8y-" + rand.Text()); err != nil {
		return nil, fmt.Errorf("choosing a multipart boundary: %w", err)
	}

	header := textproto.MIMEHeader{}
	header.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": f.Field, "filename": f.FileName}))
	header.Set("Content-Type", f.ContentType)
	if _, err := writer.CreatePart(header); err != nil {
		return nil, fmt.Errorf("framing the multipart body: %w", err)
	}
	prefix := bytes.Clone(buf.Bytes())

	buf.Reset()
	if err := writer.Close(); err != nil {
		return nil, fmt.Errorf("framing the multipart body: %w", err)
	}
	return &multipartBody{contentType: writer.FormDataContentType(), prefix: prefix, suffix: bytes.Clone(buf.Bytes())}, nil
}

// length returns the exact length of the body for a file of size bytes.
func (b *multipartBody) length(size int64) int64 {
	return int64(len(b.prefix)) + size + int64(len(b.suffix))
}

// open returns a reader of the whole body: the prefix, exactly size bytes of the file and
// the suffix.
func (b *multipartBody) open(f FileUpload) (io.ReadCloser, error) {
	file, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", f.FileName, err)
	}
	exact := &exactReader{r: file, remaining: f.Size, name: f.FileName}
	return &readCloser{
		Reader: io.MultiReader(bytes.NewReader(b.prefix), exact, bytes.NewReader(b.suffix)),
		Closer: file,
	}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// exactReader returns exactly remaining bytes of r and fails when r ends early or has
// more, as when the file changes during the upload. Without it, a body that does not match
// its Content-Length would end the request with a less helpful transport error.
type exactReader struct {
	r         io.Reader
	remaining int64
	name      string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.remaining <= 0 {
		var probe [1]byte
		if n, _ := io.ReadFull(e.r, probe[:]); n > 0 {
			return 0, fmt.Errorf("%s grew while it was uploaded", e.name)
		}
		return 0, io.EOF
	}

	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	if errors.Is(err, io.EOF) {
		if e.remaining > 0 {
			return n, fmt.Errorf("%s shrank while it was uploaded: %d bytes missing", e.name, e.remaining)
		}
		err = nil
	}
	return n, err
}

// UploadApplicationBinary uploads a file, for a microservice the ZIP of cumulocity.json and
// image.tar, as the multipart part "file" and returns the application as the platform
// updated it. The body is streamed with an exact Content-Length. The request has no
// per-attempt timeout, because an upload of hundreds of megabytes and the import that
// follows can take many minutes: bound it through ctx. It is never retried.
func (c *Client) UploadApplicationBinary(ctx context.Context, applicationID string, file FileUpload) (*Application, error) {
	if file.Field == "" {
		file.Field = "file"
	}
	if file.ContentType == "" {
		file.ContentType = "application/zip"
	}
	body, err := newMultipartBody(file)
	if err != nil {
		return nil, err
	}

	var app Application
	req := &Request{
		Method:        http.MethodPost,
		Path:          "/application/applications/" + url.PathEscape(applicationID) + "/binaries",
		Accept:        MediaTypeApplication,
		ContentType:   body.contentType,
		GetBody:       func() (io.ReadCloser, error) { return body.open(file) },
		ContentLength: body.length(file.Size),
		Timeout:       NoTimeout,
	}
	if _, err := c.Do(ctx, req, &app); err != nil {
		return nil, fmt.Errorf("uploading %s to application %s: %w", file.FileName, applicationID, err)
	}
	return &app, nil
}
