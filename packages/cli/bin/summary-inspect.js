#!/usr/bin/env node
import '../dist/summary-inspect.js';
