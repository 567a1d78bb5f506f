package c8y_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
)

// upload describes what a test server received in a multipart upload.
type upload struct {
	contentLength int64
	bodyLength    int64
	transfer      []string
	field         string
	fileName      string
	partType      string
	sha256        [32]byte
	size          int64
}

// uploadServer returns a client for a server that parses the multipart upload into got.
func uploadServer(t *testing.T, got *upload) *c8y.Client {
	t.Helper()
	return newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got.contentLength = r.ContentLength
		got.transfer = r.TransferEncoding
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.bodyLength = int64(len(body))

		r.Body = io.NopCloser(bytes.NewReader(body))
		reader, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		part, err := reader.NextPart()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.field, got.fileName, got.partType = part.FormName(), part.FileName(), part.Header.Get("Content-Type")
		hash := sha256.New()
		got.size, _ = io.Copy(hash, part)
		copy(got.sha256[:], hash.Sum(nil))
		if _, err := reader.NextPart(); err != io.EOF {
			http.Error(w, fmt.Sprintf("after the file part: %v, want the end", err), http.StatusBadRequest)
			return
		}

		w.Header().Set("Content-Type", c8y.MediaTypeApplication)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"7","name":"hello"}`)
	})
}

func TestUploadApplicationBinary(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 32<<10 + 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			content := bytes.Repeat([]byte("zip\r\n--"), size/7+1)[:size]
			var got upload
			client := uploadServer(t, &got)

			app, err := client.UploadApplicationBinary(t.Context(), "7", c8y.FileUpload{
				FileName: `hello "ms".zip`,
				Size:     int64(size),
				Open:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil },
			})
			if err != nil {
				t.Fatalf("UploadApplicationBinary: %v", err)
			}
			if app.ID != "7" {
				t.Errorf("application = %+v, want id 7", app)
			}
			if got.contentLength != got.bodyLength || len(got.transfer) != 0 {
				t.Errorf("Content-Length %d, transfer encoding %v, body %d bytes: want an exact Content-Length", got.contentLength, got.transfer, got.bodyLength)
			}
			if got.field != "file" || got.fileName != `hello "ms".zip` || got.partType != "application/zip" {
				t.Errorf("part %q, file name %q, type %q; want file, the file name, application/zip", got.field, got.fileName, got.partType)
			}
			if got.size != int64(size) || got.sha256 != sha256.Sum256(content) {
				t.Errorf("received %d bytes with another digest, want the %d bytes sent", got.size, size)
			}
		})
	}
}

func TestUploadSizeMismatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int64
		content string
		want    string
	}{
		{name: "shrank", size: 10, content: "12345", want: "shrank"},
		{name: "grew", size: 3, content: "12345", want: "grew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got upload
			client := uploadServer(t, &got)
			_, err := client.UploadApplicationBinary(t.Context(), "7", c8y.FileUpload{
				FileName: "x.zip",
				Size:     tt.size,
				Open:     func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tt.content)), nil },
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one saying the file %s", err, tt.want)
			}
		})
	}
}

func TestNoTimeout(t *testing.T) {
	t.Parallel()
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", c8y.MediaTypeApplication)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"7","name":"hello"}`)
	}, c8y.WithTimeout(50*time.Millisecond))

	_, err := client.UploadApplicationBinary(t.Context(), "7", c8y.FileUpload{
		FileName: "x.zip",
		Size:     1,
		Open:     func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil },
	})
	if err != nil {
		t.Errorf("upload slower than the client timeout: %v, want success", err)
	}

	_, err = client.CurrentTenant(t.Context())
	if err == nil {
		t.Error("GET slower than the client timeout succeeded, want the timeout")
	}
}

func TestUploadContentType(t *testing.T) {
	t.Parallel()
	var contentType string
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", c8y.MediaTypeApplication)
		fmt.Fprint(w, `{"id":"7"}`)
	})
	_, err := client.UploadApplicationBinary(t.Context(), "7", c8y.FileUpload{
		FileName: "x.zip", Size: 1,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		t.Errorf("Content-Type %q, want multipart/form-data with a boundary", contentType)
	}
}
