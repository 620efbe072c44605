package server

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"

	"nodelist/web"
)

// page is an embedded file held in memory, read once at start-up.
type page struct {
	body        []byte
	contentType string
}

func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	h.Set("Cache-Control", "public, max-age=60")
	if isDocument(p.contentType) {
		h.Set("Content-Security-Policy", pageCSP)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(p.body)
	}
}

// pagePaths are the paths of the web files not served at their own
// name alone: the dashboard is also /, the API docs page is /docs.
var pagePaths = map[string][]string{
	"index.html": {"/index.html", "/{$}"},
	"docs.html":  {"/docs"},
}

// loadPages reads every embedded web file, keyed by the path it is served
// at (its name, or its pagePaths).
func loadPages() (map[string]page, error) {
	pages := map[string]page{}
	err := fs.WalkDir(web.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Files, name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			// Licence and notice files of vendored code have no extension.
			ct = "text/plain; charset=utf-8"
		}
		p := page{body: b, contentType: ct}
		paths, ok := pagePaths[name]
		if !ok {
			paths = []string{"/" + name}
		}
		for _, at := range paths {
			pages[at] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load pages: %w", err)
	}
	return pages, nil
}
