package api

// streamRoutes are the operations of response streaming and function URLs.
var streamRoutes = []route{
	{"POST", "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", "InvokeWithResponseStream", maxInvokeBody, invokeWithResponseStream},

	{"POST", "/2021-10-31/functions/{FunctionName}/url", "CreateFunctionUrlConfig", 0, createFunctionURLConfig},
	{"GET", "/2021-10-31/functions/{FunctionName}/url", "GetFunctionUrlConfig", 0, getFunctionURLConfig},
	{"PUT", "/2021-10-31/functions/{FunctionName}/url", "UpdateFunctionUrlConfig", 0, updateFunctionURLConfig},
	{"DELETE", "/2021-10-31/functions/{FunctionName}/url", "DeleteFunctionUrlConfig", 0, deleteFunctionURLConfig},
	{"GET", "/2021-10-31/functions/{FunctionName}/urls", "ListFunctionUrlConfigs", 0, listFunctionURLConfigs},
}
