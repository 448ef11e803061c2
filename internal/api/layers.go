package api

import (
	"context"
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/store"
)

// layerDigests are the digests of a function version's layer zips, in
// order, for the scheduler to merge at /opt.
func layerDigests(refs []registry.LayerRef) []store.Digest {
	if len(refs) == 0 {
		return nil
	}
	out := make([]store.Digest, len(refs))
	for i, l := range refs {
		out[i] = l.Digest()
	}
	return out
}

// publishLayerVersion serves PublishLayerVersion: 201 with the new version.
// Its zip is extracted before the answer, so the first environment that
// uses the layer does not pay for it.
func publishLayerVersion(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.PublishLayerVersionInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PublishLayerVersion(r.Context(), c.Account, r.PathValue("LayerName"), &in)
	if err != nil {
		return err
	}
	if s.sched != nil {
		if err := s.sched.Prepare(r.Context(), out.Content.CodeDigest); err != nil {
			s.log.Warn("prepare layer", "layer", out.LayerVersionArn, "err", err)
		}
	}
	out.Content.Location = s.codeLocation(r, out.Content.CodeDigest)
	return writeJSON(w, http.StatusCreated, out)
}

// getLayerVersion serves GetLayerVersion; Content.Location is a signed
// download URL served by this server.
func getLayerVersion(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetLayerVersion(r.Context(), c.Account, r.PathValue("LayerName"), r.PathValue("VersionNumber"))
	if err != nil {
		return err
	}
	out.Content.Location = s.codeLocation(r, out.Content.CodeDigest)
	return writeJSON(w, http.StatusOK, out)
}

// listLayers serves GET /2018-10-31/layers: ListLayers, or
// GetLayerVersionByArn when the query has find=LayerVersion (one path,
// told apart by the query as the model does).
func listLayers(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if q.Get("find") == "LayerVersion" {
		c.Op = "GetLayerVersionByArn"
		out, err := s.reg.GetLayerVersionByArn(r.Context(), c.Account, q.Get("Arn"))
		if err != nil {
			return err
		}
		out.Content.Location = s.codeLocation(r, out.Content.CodeDigest)
		return writeJSON(w, http.StatusOK, out)
	}
	in, err := layerListQuery(r)
	if err != nil {
		return err
	}
	out, err := s.reg.ListLayers(r.Context(), c.Account, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// layerListQuery reads the query of ListLayers and ListLayerVersions.
func layerListQuery(r *http.Request) (registry.ListLayersInput, error) {
	q := r.URL.Query()
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 50)
	if err != nil {
		return registry.ListLayersInput{}, err
	}
	return registry.ListLayersInput{
		CompatibleRuntime:      q.Get("CompatibleRuntime"),
		CompatibleArchitecture: q.Get("CompatibleArchitecture"),
		Marker:                 q.Get("Marker"),
		MaxItems:               maxItems,
	}, nil
}

// listLayerVersions serves ListLayerVersions: newest first.
func listLayerVersions(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	in, err := layerListQuery(r)
	if err != nil {
		return err
	}
	out, err := s.reg.ListLayerVersions(r.Context(), c.Account, r.PathValue("LayerName"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteLayerVersion serves DeleteLayerVersion: 204, also when the version
// does not exist, as on AWS.
func deleteLayerVersion(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteLayerVersion(r.Context(), c.Account, r.PathValue("LayerName"), r.PathValue("VersionNumber")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// addLayerVersionPermission serves AddLayerVersionPermission: 201.
func addLayerVersionPermission(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.AddLayerVersionPermissionInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.AddLayerVersionPermission(r.Context(), c.Account, r.PathValue("LayerName"), r.PathValue("VersionNumber"), r.URL.Query().Get("RevisionId"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// removeLayerVersionPermission serves RemoveLayerVersionPermission: 204.
func removeLayerVersionPermission(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.RemoveLayerVersionPermission(r.Context(), c.Account, r.PathValue("LayerName"), r.PathValue("VersionNumber"), r.PathValue("StatementId"), r.URL.Query().Get("RevisionId")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// getLayerVersionPolicy serves GetLayerVersionPolicy.
func getLayerVersionPolicy(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetLayerVersionPolicy(r.Context(), c.Account, r.PathValue("LayerName"), r.PathValue("VersionNumber"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// prepareLayers builds the /opt directory of a function version that was
// just configured with layers, before the answer (as prepareCode does for
// its code), so that its first environment starts without that cost. A
// failure is left for that environment to report.
func (s *Server) prepareLayers(ctx context.Context, account string, out *registry.FunctionConfiguration) {
	if s.sched == nil || len(out.Layers) == 0 {
		return
	}
	v, err := s.reg.Resolve(account, out.FunctionName, out.Version)
	if err != nil {
		return // changed meanwhile: its next configuration prepares itself
	}
	if err := s.sched.PrepareLayers(ctx, layerDigests(v.Layers)); err != nil {
		s.log.Warn("prepare layers", "function", out.FunctionName, "err", err)
	}
}
