package c8yfake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Upload is a file uploaded to an application, as [Platform.Uploads] returns it.
type Upload struct {
	ApplicationID string
	Tenant        string // the tenant that uploaded it
	FileName      string
	Size          int64  // the bytes of the "file" part
	SHA256        string // the hex digest of the "file" part

	// ContentLength is the request's Content-Length header, or -1 when the body was sent
	// with chunked transfer encoding.
	ContentLength int64
}

// Uploads returns the uploads received so far, the oldest first.
func (p *Platform) Uploads() []Upload {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Upload(nil), p.uploads...)
}

func (p *Platform) registerBinaries() {
	p.route("POST /application/applications/{id}/binaries", roleApplicationAdmin, p.uploadBinary)
}

// uploadBinary serves POST /application/applications/{id}/binaries: it streams the
// multipart part "file" through a digest, at Options.UploadRate, and keeps its size and
// digest. An upload to a subscribed microservice restarts its deployment.
// NOTE: the fake does not open the ZIP, so it neither checks cumulocity.json and image.tar
// nor takes the manifest's roles, as the platform does.
func (p *Platform) uploadBinary(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplication) {
		return
	}
	id := r.PathValue("id")

	p.mu.Lock()
	app := p.findApplication(id)
	found, owner := app != nil && app.visible(who.tenant), app != nil && app.Owner == who.tenant
	p.mu.Unlock()
	switch {
	case !found:
		writeApplicationNotFound(w, id)
		return
	case !owner:
		writeError(w, http.StatusForbidden, "security/Forbidden", "Access is denied: only the owner tenant may upload the application's binary")
		return
	case baseMediaType(r.Header.Get("Content-Type")) != "multipart/form-data":
		writeError(w, http.StatusUnsupportedMediaType, "general/unsupportedMediaType",
			"Content type "+r.Header.Get("Content-Type")+" is not supported here; use multipart/form-data with the part file")
		return
	}

	upload, err := p.readFilePart(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "general/badRequest", "Invalid upload: "+err.Error())
		return
	}
	upload.ApplicationID, upload.Tenant, upload.ContentLength = id, who.tenant, r.ContentLength

	p.mu.Lock()
	p.uploads = append(p.uploads, upload)
	if len(app.subscribers) > 0 {
		p.startDeployment(app)
	}
	body := app.representation(r)
	p.mu.Unlock()

	writeResource(w, r, http.StatusCreated, typeApplication, "", body)
}

// readFilePart reads the multipart body of r and returns the size and digest of its part
// "file". Other parts are read and ignored.
func (p *Platform) readFilePart(r *http.Request) (Upload, error) {
	reader, err := r.MultipartReader()
	if err != nil {
		return Upload{}, fmt.Errorf("reading the multipart body: %w", err)
	}

	var upload Upload
	found := false
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Upload{}, fmt.Errorf("reading the multipart body: %w", err)
		}
		if part.FormName() != "file" || found {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return Upload{}, fmt.Errorf("reading the multipart body: %w", err)
			}
			continue
		}

		found = true
		hash := sha256.New()
		size, err := p.copyThrottled(r.Context(), hash, part)
		if err != nil {
			return Upload{}, fmt.Errorf("reading the part file: %w", err)
		}
		upload.FileName, upload.Size, upload.SHA256 = part.FileName(), size, hex.EncodeToString(hash.Sum(nil))
	}
	if !found {
		return Upload{}, errors.New("the multipart body has no part named file")
	}
	return upload, nil
}

// copyThrottled copies src to dst at Options.UploadRate bytes per second, in chunks of a
// twentieth of a second, or at full speed without a rate.
func (p *Platform) copyThrottled(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	if p.uploadRate <= 0 {
		return io.Copy(dst, src)
	}

	chunk := max(p.uploadRate/20, 1)
	start := time.Now()
	var total int64
	for {
		n, err := io.CopyN(dst, src, chunk)
		total += n
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}

		due := start.Add(time.Duration(float64(total) / float64(p.uploadRate) * float64(time.Second)))
		timer := time.NewTimer(time.Until(due))
		select {
		case <-ctx.Done():
			timer.Stop()
			return total, ctx.Err()
		case <-timer.C:
		}
	}
}
