export * from "./alerts";
export * from "./audit";
export * from "./auth";
export * from "./events";
export * from "./issues";
export * from "./projects";
export * from "./reports";
