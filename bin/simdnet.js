#!/usr/bin/env node
import '../dist/simdnet.js';
