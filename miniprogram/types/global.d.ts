/// <reference types="@tarojs/taro" />

declare module '*.png'
declare module '*.css'

declare namespace NodeJS {
  interface ProcessEnv {
    NODE_ENV: 'development' | 'production'
    TARO_ENV: 'weapp' | 'h5'
    TARO_APP_ID: string
  }
}

// Build-time constants from config/constants.ts.
declare const API_BASE: string
declare const DEV_CONTROLS: boolean
declare const FAKE_WECHAT_BASE: string
declare const FAKE_WECHATPAY_BASE: string
declare const SUBSCRIBE_TEMPLATES: string[]
