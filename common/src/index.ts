export * from "./attributes";
export * from "./config";
export * from "./in-app";
export * from "./jobs";
export * from "./queues";
export * from "./secrets";
export * from "./storable";
