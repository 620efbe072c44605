package server

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"

	"nodelist/web"
)

// page is an embedded file: a small one held in memory, read once at
// start-up; a large one (the vendored Swagger UI bundle, 1.7 MB) read
// from the binary's embedded data at each request, so that the heap
// does not hold a copy of what only the docs page asks for.
type page struct {
	body        []byte // nil for a file read at each request
	name        string // in web.Files
	size        int    // of a file read at each request
	contentType string
}

// pageInMemory is the largest file held in memory.
const pageInMemory = 64 << 10

func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	size := p.size
	if p.body != nil {
		size = len(p.body)
	}
	h.Set("Content-Length", strconv.Itoa(size))
	h.Set("Cache-Control", "public, max-age=60")
	if isDocument(p.contentType) {
		h.Set("Content-Security-Policy", pageCSP)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if p.body != nil {
		_, _ = w.Write(p.body)
		return
	}
	// loadPages opened every file once: embedded data cannot go missing.
	f, err := web.Files.Open(p.name)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(w, f)
}

// pagePaths are the paths of the web files not served at their own
// name alone: the dashboard is also /, the API docs page is /docs.
var pagePaths = map[string][]string{
	"index.html": {"/index.html", "/{$}"},
	"docs.html":  {"/docs"},
}

// contentTypes are those of the web files, by extension ("" for the
// licence and notice files of vendored code). Not the mime package's: it
// reads the host's type files on first use, about 1.5 MiB of live heap
// in tens of thousands of objects for the five types served here, and
// two hosts would not always serve a file under the same type.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	"":      "text/plain; charset=utf-8",
}

// loadPages reads every embedded web file, keyed by the path it is served
// at (its name, or its pagePaths).
func loadPages() (map[string]page, error) {
	pages := map[string]page{}
	err := fs.WalkDir(web.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var b []byte
		if info.Size() <= pageInMemory {
			if b, err = fs.ReadFile(web.Files, name); err != nil {
				return err
			}
		} else if f, err := web.Files.Open(name); err != nil {
			return err
		} else {
			f.Close()
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("%s: no content type for its extension", name)
		}
		p := page{body: b, name: name, contentType: ct}
		if b == nil {
			p.size = int(info.Size())
		}
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
