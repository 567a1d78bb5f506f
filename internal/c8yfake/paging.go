package c8yfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Paging limits of the platform's collections.
const (
	defaultPageSize = 5
	maxPageSize     = 2000
)

// page is the page of a collection that a request selects.
type page struct {
	size       int
	current    int
	totalPages bool // withTotalPages=true
}

// readPage reads pageSize, currentPage and withTotalPages. On an invalid value it responds
// with 422 and returns false. A page size above the maximum is lowered to it.
// NOTE: the platform's response to a page size above 2000 is not documented, so lowering
// it is a guess.
func readPage(w http.ResponseWriter, r *http.Request) (page, bool) {
	query := r.URL.Query()
	pg := page{size: defaultPageSize, current: 1, totalPages: query.Get("withTotalPages") == "true"}
	for name, target := range map[string]*int{"pageSize": &pg.size, "currentPage": &pg.current} {
		raw := query.Get(name)
		if raw == "" {
			continue
		}
		value, err := strconv.Atoi(raw)
		if err != nil || value < 1 {
			writeError(w, http.StatusUnprocessableEntity, "general/invalidParameter",
				fmt.Sprintf("Invalid value %q of query parameter %s: want a whole number from 1", raw, name))
			return page{}, false
		}
		*target = value
	}
	pg.size = min(pg.size, maxPageSize)
	return pg, true
}

// bounds returns the slice of a collection of n items that the page covers.
func (pg page) bounds(n int) (from, to int) {
	from = min((pg.current-1)*pg.size, n)
	to = min(from+pg.size, n)
	return from, to
}

// links returns the statistics and the self, next and prev links of the page of a
// collection of n items, to be merged into the collection's body.
func (pg page) links(r *http.Request, n int) map[string]any {
	statistics := map[string]any{"currentPage": pg.current, "pageSize": pg.size}
	if pg.totalPages {
		statistics["totalPages"] = (n + pg.size - 1) / pg.size
	}
	fields := map[string]any{"statistics": statistics, "self": pg.url(r, pg.current)}
	if pg.current*pg.size < n {
		fields["next"] = pg.url(r, pg.current+1)
	}
	if pg.current > 1 {
		fields["prev"] = pg.url(r, pg.current-1)
	}
	return fields
}

// url returns the request's URL with currentPage and pageSize set for another page.
func (pg page) url(r *http.Request, current int) string {
	query := r.URL.Query()
	query.Set("pageSize", strconv.Itoa(pg.size))
	query.Set("currentPage", strconv.Itoa(current))
	u := url.URL{Path: r.URL.Path, RawQuery: query.Encode()}
	return baseURL(r) + u.String()
}
