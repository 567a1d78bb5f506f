package deploy

import (
	"context"
	"fmt"
	"strings"

	"hello-microservice/internal/c8y"
)

// DefaultPageSize is the page size for listing applications by name.
const DefaultPageSize = 100

// maxPages bounds the pages FindApplication reads, so that a platform that never returns
// a short page cannot keep it reading forever.
const maxPages = 1000

// FindApplication returns the application called name that tenant owns, or nil when the
// tenant owns none. It reads every page of GET /application/applicationsByName/{name},
// which may also list same-named applications of other tenants and applications whose
// name only starts with name; neither is ever returned. A page size of 0 means
// DefaultPageSize.
func FindApplication(ctx context.Context, client *c8y.Client, name, tenant string, pageSize int) (*c8y.Application, error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}

	var matches []c8y.Application
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("finding application %q: more than %d pages of %d applications", name, maxPages, pageSize)
		}
		collection, err := client.ApplicationsByName(ctx, name, c8y.PageQuery{PageSize: pageSize, CurrentPage: page})
		if err != nil {
			return nil, err
		}

		for _, app := range collection.Applications {
			if app.Name == name && app.OwnerTenant() == tenant {
				matches = append(matches, app)
			}
		}

		// The platform may send a next link on the last page too, so a page that is empty
		// or shorter than requested ends the list.
		size := pageSize
		if collection.Statistics.PageSize > 0 {
			size = collection.Statistics.PageSize
		}
		if len(collection.Applications) == 0 || len(collection.Applications) < size {
			break
		}
	}

	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return &matches[0], nil
	}
	ids := make([]string, len(matches))
	for i, app := range matches {
		ids[i] = app.ID
	}
	return nil, fmt.Errorf("tenant %s owns %d applications called %q (ids %s): remove all but one in Administration, Ecosystem, Microservices",
		tenant, len(matches), name, strings.Join(ids, ", "))
}
