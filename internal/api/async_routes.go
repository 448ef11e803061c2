package api

// asyncRoutes are the operations of asynchronous invocation: InvokeAsync,
// event invoke configs, recursion config.
var asyncRoutes = []route{}
