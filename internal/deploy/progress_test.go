package deploy_test

import (
	"strings"
	"testing"

	"hello-microservice/internal/deploy"
)

func TestProgressLines(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	progress := deploy.NewProgress(&out, false)
	const total = 20_000_000
	for sent := int64(0); sent < total; sent += 32 << 10 {
		progress.Update(sent, total)
	}
	progress.Update(total, total)
	progress.Done()

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want one per tenth and the import notice:\n%s", len(lines), out.String())
	}
	if lines[0] != "uploaded 10% (2.0 MB of 20.0 MB)" {
		t.Errorf("first line = %q, want uploaded 10%% (2.0 MB of 20.0 MB)", lines[0])
	}
	if lines[9] != "uploaded 100% (20.0 MB of 20.0 MB)" {
		t.Errorf("tenth line = %q, want uploaded 100%%", lines[9])
	}
	if !strings.Contains(lines[10], "waiting for the platform to import the image") {
		t.Errorf("last line = %q, want the import notice", lines[10])
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("plain progress contains a carriage return")
	}
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	progress := deploy.NewProgress(&out, true)
	progress.Update(0, 3_000_000)
	progress.Update(1_500_000, 3_000_000)
	progress.Update(3_000_000, 3_000_000)
	progress.Done()

	output := out.String()
	bar, notice, ok := strings.Cut(output, "\n")
	if !ok || !strings.HasPrefix(bar, "\r[") {
		t.Errorf("output %q, want a bar redrawn with carriage returns, then a newline", output)
	}
	if notice != "sent the whole ZIP; waiting for the platform to import the image\n" {
		t.Errorf("after the bar %q, want the import notice alone", notice)
	}
	last := bar[strings.LastIndex(bar, "\r")+1:]
	if !strings.Contains(last, "[==============================] 100%  3.0 MB of 3.0 MB") {
		t.Errorf("final line %q, want a full bar at 100%%", last)
	}
}

func TestProgressBarUnused(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	progress := deploy.NewProgress(&out, true)
	progress.Done()
	if out.Len() != 0 {
		t.Errorf("output %q for an upload that sent nothing, want none", out.String())
	}
}
