package deploy

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress shows how much of an upload has been sent. Update is called from the goroutine
// that sends the body, possibly while Done runs, so implementations lock.
type Progress interface {
	Update(sent, total int64)
	Done() // called once when the upload ended, successfully or not
}

// NewProgress returns a progress bar redrawn in place with carriage returns when w is a
// terminal, and otherwise a plain line at every tenth of the upload, as suits a CI log.
func NewProgress(w io.Writer, terminal bool) Progress {
	if terminal {
		return &progressBar{w: w, start: time.Now()}
	}
	return &progressLines{w: w, next: 1}
}

type noProgress struct{}

func (noProgress) Update(int64, int64) {}
func (noProgress) Done()               {}

// Settings of the progress bar.
const (
	barWidth    = 30
	redrawEvery = 100 * time.Millisecond
)

// progressBar draws "[=====>    ]  52%  104.9 MB of 201.3 MB  12.1 MB/s" on one line.
type progressBar struct {
	w     io.Writer
	start time.Time

	mu       sync.Mutex
	sent     int64
	total    int64
	drawn    time.Time
	width    int // the length of the longest line drawn, to blank out what a shorter one leaves
	finished bool
}

func (b *progressBar) Update(sent, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent, b.total = sent, total
	if b.finished || sent < total && time.Since(b.drawn) < redrawEvery {
		return
	}
	b.draw()
	if sent >= total {
		b.finished = true
		fmt.Fprintln(b.w)
		fmt.Fprintln(b.w, importNotice)
	}
}

func (b *progressBar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished || b.drawn.IsZero() {
		return
	}
	b.finished = true
	b.draw()
	fmt.Fprintln(b.w)
}

// draw redraws the line. The caller holds b.mu.
func (b *progressBar) draw() {
	b.drawn = time.Now()
	fraction := 1.0
	if b.total > 0 {
		fraction = float64(b.sent) / float64(b.total)
	}
	filled := int(fraction * barWidth)
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}

	rate := ""
	if elapsed := time.Since(b.start).Seconds(); elapsed > 0 {
		rate = formatBytes(int64(float64(b.sent)/elapsed)) + "/s"
	}
	line := fmt.Sprintf("[%s] %3d%%  %s of %s  %s", bar, int(fraction*100), formatBytes(b.sent), formatBytes(b.total), rate)
	b.width = max(b.width, len(line))
	fmt.Fprintf(b.w, "\r%-*s", b.width, line)
}

// importNotice follows the last progress update: the platform imports the image before
// it responds, which can take minutes with no other output.
const importNotice = "sent the whole ZIP; waiting for the platform to import the image"

// progressLines writes "uploaded 10% (20.1 MB of 201.3 MB)" at every tenth.
type progressLines struct {
	w io.Writer

	mu   sync.Mutex
	next int // the next tenth to report
}

func (l *progressLines) Update(sent, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	percent := int64(100)
	if total > 0 {
		percent = sent * 100 / total
	}
	for l.next <= 10 && percent >= int64(l.next*10) {
		fmt.Fprintf(l.w, "uploaded %d%% (%s of %s)\n", l.next*10, formatBytes(int64(l.next)*total/10), formatBytes(total))
		l.next++
		if l.next > 10 {
			fmt.Fprintln(l.w, importNotice)
		}
	}
}

func (l *progressLines) Done() {}

// formatBytes formats a size in decimal units, as "512 B", "3.1 MB" or "1.20 GB".
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
