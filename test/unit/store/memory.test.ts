import { createMemoryStore } from "../../../store/index.js";
import { storeContract } from "./contract.js";

storeContract("memory", async () => ({ store: createMemoryStore() }));
