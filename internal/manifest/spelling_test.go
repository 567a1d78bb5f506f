package manifest

import "testing"

func TestEditDistance(t *testing.T) {
	t.Parallel()

	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"port", "port", 0},
		{"readinesprobe", "readinessprobe", 1},
		{"verison", "version", 1},
		{"kitten", "sitting", 3},
		{"host", "port", 2},
		{"ca", "abc", 3},
		{"größe", "grösse", 2},
	}

	for _, test := range tests {
		if got := editDistance(test.a, test.b); got != test.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", test.a, test.b, got, test.want)
		}
		if got := editDistance(test.b, test.a); got != test.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", test.b, test.a, got, test.want)
		}
	}
}

func TestClosestField(t *testing.T) {
	t.Parallel()

	probe := []string{"httpGet", "tcpSocket", "exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"}
	tests := []struct {
		name  string
		known []string
		want  string // "" when name resembles no field
	}{
		{"timeoutSecond", probe, "timeoutSeconds"},
		{"initialDelay", probe, "initialDelaySeconds"},
		{"success", probe, "successThreshold"},
		{"EXEC", probe, "exec"},
		{"exe", probe, "exec"},
		{"grpc", probe, ""},
		{"ex", probe, ""},
		{"host", []string{"path", "port", "scheme"}, ""},
		{"date", []string{"name", "version"}, ""},
		{"nmae", []string{"name", "version"}, "name"},
		{"request", []string{"requestedResources", "requiredRoles"}, ""},
	}

	for _, test := range tests {
		got, ok := closestField(test.name, test.known)
		if got != test.want || ok != (test.want != "") {
			t.Errorf("closestField(%q) = %q, %v, want %q", test.name, got, ok, test.want)
		}
	}
}
