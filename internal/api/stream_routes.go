package api

// streamRoutes are the operations of response streaming and function URLs.
var streamRoutes = []route{}
