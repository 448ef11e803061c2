package api

// asyncRoutes are the operations of asynchronous invocation: InvokeAsync,
// event invoke configs, recursion config.
var asyncRoutes = []route{
	{"POST", "/2014-11-13/functions/{FunctionName}/invoke-async", "InvokeAsync", maxInvokeBody, invokeAsync},
	{"POST", "/2014-11-13/functions/{FunctionName}/invoke-async/", "InvokeAsync", maxInvokeBody, invokeAsync},

	{"PUT", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig", 0, putFunctionEventInvokeConfig},
	{"POST", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig", 0, updateFunctionEventInvokeConfig},
	{"GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig", 0, getFunctionEventInvokeConfig},
	{"DELETE", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig", 0, deleteFunctionEventInvokeConfig},
	{"GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config/list", "ListFunctionEventInvokeConfigs", 0, listFunctionEventInvokeConfigs},

	{"PUT", "/2024-08-31/functions/{FunctionName}/recursion-config", "PutFunctionRecursionConfig", 0, putFunctionRecursionConfig},
	{"GET", "/2024-08-31/functions/{FunctionName}/recursion-config", "GetFunctionRecursionConfig", 0, getFunctionRecursionConfig},
}
