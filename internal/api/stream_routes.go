package api

// streamRoutes are the operations of response streaming and function URLs.
var streamRoutes = []route{
	{"POST", "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", "InvokeWithResponseStream", maxInvokeBody, invokeWithResponseStream},
}
