export * from "./attributes";
export * from "./config";
export * from "./jobs";
export * from "./queues";
export * from "./secrets";
export * from "./storable";
