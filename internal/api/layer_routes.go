package api

// layerRoutes are the layer operations. GET /2018-10-31/layers is
// ListLayers, or GetLayerVersionByArn with ?find=LayerVersion (the handler
// tells them apart).
var layerRoutes = []route{
	{"POST", "/2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion", maxCodeBody, publishLayerVersion},
	{"GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions", 0, listLayerVersions},
	{"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion", 0, getLayerVersion},
	{"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "DeleteLayerVersion", 0, deleteLayerVersion},
	{"GET", "/2018-10-31/layers", "ListLayers", 0, listLayers},
	{"GET", "/2018-10-31/layers/{$}", "ListLayers", 0, listLayers},
	{"POST", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "AddLayerVersionPermission", 0, addLayerVersionPermission},
	{"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "GetLayerVersionPolicy", 0, getLayerVersionPolicy},
	{"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission", 0, removeLayerVersionPermission},
}
